import { describeTrafficShifts } from './traffic-shift-scenarios.js';

/* LINEAR and CANARY deployments with the same pause hook as BLUE_GREEN (README "Deployment kinds"); ECS alone runs them without it. */
describeTrafficShifts(['linear', 'canary']);
