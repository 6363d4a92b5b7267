import { describeRollbacks } from './rollback-scenarios.js';

/*
 * Circuit-breaker and manual rollbacks of a ROLLING service with the twin making the earlier
 * deployment PRIMARY again (rollbackMode 'reactivate'): its tasks stay, so the drains the
 * orchestrator started on them must be called off (README "Deployment kinds").
 */
// 'manual' rolls back right after the deployment took its first old tasks out. ECS then stops the
// interrupted deployment's unprotected tasks at once while the old ones still drain; before the
// pacer's interruption reserve (docs/design.md "Rolling deployments") every old task was DRAINING
// then, and 23 to 65 users were turned away until the cancels reached the tasks, where ECS alone
// turned none away. The scenario asserts no more refused than ECS alone with the same users.
describeRollbacks('reactivate', ['breaker', 'manual']);
