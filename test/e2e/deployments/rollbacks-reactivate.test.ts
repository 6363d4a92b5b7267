import { describeRollbacks } from './rollback-scenarios.js';

/*
 * Circuit-breaker and manual rollbacks of a ROLLING service with the twin making the earlier
 * deployment PRIMARY again (rollbackMode 'reactivate'): its tasks stay, so the drains the
 * orchestrator started on them must be called off (README "Deployment kinds").
 */
// 'manual' is not run yet (issue 11 note): it cuts sessions only on tasks ECS refused to protect, fewer
// than ECS alone, but turns 23-36 users away where ECS alone turns none. Measured here: the rollback
// makes ECS stop the deployment's new tasks at once (unprotected: DEPLOYMENT_BLOCKED), while the old
// ones are still DRAINING; their cancels land 0.7 s later and the apps see them within their poll
// (500 ms), so for about 1.6 s real no task takes sessions: 160 scenario seconds at this scale.
describeRollbacks('reactivate', ['breaker']);
