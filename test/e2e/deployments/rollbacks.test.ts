import { describeRollbacks } from './rollback-scenarios.js';

/*
 * Circuit-breaker rollback, manual rollback and a superseded deployment of a ROLLING service
 * (README "Deployment kinds"), with the twin rolling back through a new deployment of the earlier
 * revision (rollbackMode 'new-deployment', its default): the earlier tasks are replaced again.
 */
// 'manual' and 'superseded' still fail (issue 11 note): the interrupted deployment's tasks that hold sessions cannot all be
// protected (ECS refuses protection beyond the desired count, DEPLOYMENT_BLOCKED), and ECS stops them.
describeRollbacks('new-deployment', ['breaker']);
