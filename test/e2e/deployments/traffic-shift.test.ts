import { describeTrafficShifts } from './traffic-shift-scenarios.js';

/*
 * BLUE_GREEN deployments with the README's pause hook at POST_PRODUCTION_TRAFFIC_SHIFT; ECS alone
 * runs the same strategy without it.
 */
// 'bgrollback' (a rollback during bake time, with the rollback hook at PRODUCTION_TRAFFIC_SHIFT) is not run
// in CI yet (issue 11 note). With the twin removing green after the rollback's hooks it keeps every green
// user (0 dropped; ECS alone 3), but in 4 of 6 runs it refused 1 or 2 users at the forward production
// shift (about 230 s into the deployment), while the hook's forward invocation was in flight; the hook
// answers SUCCEEDED there without a call, and why users are refused is not understood yet. Run it with
// describeTrafficShifts(['bgrollback'], 'after-hooks').
describeTrafficShifts(['bluegreen']);
