import { describeTrafficShifts } from './traffic-shift-scenarios.js';

/*
 * BLUE_GREEN deployments with the README's pause hook at POST_PRODUCTION_TRAFFIC_SHIFT, and one
 * rolled back during bake time with the rollback hook at PRODUCTION_TRAFFIC_SHIFT; ECS alone runs
 * the same strategy without them. The twin removes green after the rollback's hooks answer (AWS
 * does not say when; the forward deployment does not depend on it). With green removed first,
 * nothing can keep green's users (README Limits); the twin's unit tests cover that order.
 */
describeTrafficShifts(['bluegreen', 'bgrollback'], 'after-hooks');
