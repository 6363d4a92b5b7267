import { describeTrafficShifts } from './traffic-shift-scenarios.js';

/*
 * A BLUE_GREEN rollback during bake time with the twin removing green only after the rollback's
 * PRODUCTION_TRAFFIC_SHIFT hooks have answered: the rollback hook holds ECS until green is empty.
 */
describeTrafficShifts(['bgrollback'], 'after-hooks');
