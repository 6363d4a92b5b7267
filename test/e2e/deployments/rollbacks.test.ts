import { describeRollbacks } from './rollback-scenarios.js';

/*
 * Circuit-breaker rollback, manual rollback and a superseded deployment of a ROLLING service
 * (README "Deployment kinds"), with the twin rolling back through a new deployment of the earlier
 * revision (rollbackMode 'new-deployment', its default): the earlier tasks are replaced again.
 */
// 'manual' and 'superseded' interrupt a deployment: ECS protects no more busy tasks than the desired
// count, so some of the interrupted deployment's busy tasks cannot be protected and ECS stops them
// (README "Limits"); the scenarios check that only those lose sessions, and fewer than under ECS alone.
describeRollbacks('new-deployment', ['breaker', 'manual', 'superseded']);
