import { describeTrafficShifts } from './traffic-shift-scenarios.js';

/*
 * BLUE_GREEN deployments with the README's hooks (a pause hook at POST_PRODUCTION_TRAFFIC_SHIFT,
 * the rollback hook at PRODUCTION_TRAFFIC_SHIFT), without and with a rollback during bake time;
 * ECS alone runs the same strategy without them. The twin removes green only once the rollback's
 * PRODUCTION_TRAFFIC_SHIFT hooks have answered, so the rollback hook can hold it until it is empty.
 */
// 'bgrollback' with the twin's default order (green removed as the rollback starts, before its hooks) is
// not run yet (issue 11 note): it cuts only green's users, as expected, but it also refuses one user 231 s
// into the deployment, before the rollback, with this seed, and why is not understood yet.
describeTrafficShifts(['bluegreen', 'bgrollback'], 'after-hooks');
