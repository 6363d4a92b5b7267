import { z } from 'zod';
import { Ec2InstanceId } from './arns.js';
import { envelopeSchema, eventTime } from './envelope.js';
import { accepted, type ParseResult, rejected, safeParse } from './parse.js';
import { definedOnly } from '../shared/optional.js';

/*
 * Amazon EC2 Auto Scaling's "EC2 Instance-terminate Lifecycle Action": an instance of a group with
 * a terminate lifecycle hook entered Terminating:Wait (scale-in, instance refresh, maximum instance
 * lifetime, a health replacement, a return to a warm pool).
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
 * (the sample is events/aws/autoscaling-instance-terminate-lifecycle-action.json). Origin and
 * Destination are sent "if that information is available" (warm-pools-eventbridge-events.html):
 * only logged, since the instance's tasks leave whether it is terminated or returns to a warm pool.
 */

/** The hook ECS installs for a capacity provider with managed draining; ECS completes its actions itself. */
export const ECS_MANAGED_DRAINING_HOOK = 'ecs-managed-draining-termination-hook';

const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';

export const TerminateLifecycleActionSchema = envelopeSchema(
  'aws.autoscaling',
  'EC2 Instance-terminate Lifecycle Action',
  z.object({
    LifecycleActionToken: z.string().min(1),
    AutoScalingGroupName: z.string().min(1),
    LifecycleHookName: z.string().min(1),
    EC2InstanceId: Ec2InstanceId,
    LifecycleTransition: z.string(),
    Origin: z.string().optional(),
    Destination: z.string().optional(),
  }),
);

export interface TerminateLifecycleAction {
  token: string;
  groupName: string;
  hookName: string;
  instanceId: string;
  origin?: string;
  destination?: string;
  time?: Date;
}

export function parseTerminateLifecycleAction(raw: unknown): ParseResult<TerminateLifecycleAction> {
  const parsed = safeParse(TerminateLifecycleActionSchema, raw, 'EC2 Instance-terminate Lifecycle Action');
  if (!parsed.ok) return parsed;
  const detail = parsed.event.detail;
  if (detail.LifecycleTransition !== TERMINATING) {
    return rejected(`EC2 Instance-terminate Lifecycle Action: LifecycleTransition is "${detail.LifecycleTransition}", not ${TERMINATING}`);
  }
  return accepted({
    token: detail.LifecycleActionToken,
    groupName: detail.AutoScalingGroupName,
    hookName: detail.LifecycleHookName,
    instanceId: detail.EC2InstanceId,
    ...definedOnly({ origin: detail.Origin, destination: detail.Destination, time: eventTime(parsed.event.time) }),
  });
}
