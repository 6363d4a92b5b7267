import { z } from 'zod';
import { Ec2InstanceId } from './arns.js';
import { envelopeSchema, eventTime } from './envelope.js';
import { accepted, type ParseResult, safeParse } from './parse.js';
import { definedOnly } from '../shared/optional.js';

/*
 * EC2 events about an instance that ECS tasks may run on. They name the instance only; the
 * handler finds its cluster by asking ECS.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html
 */

/** EC2 reclaims the instance this long after the warning. */
export const SPOT_WARNING_LEAD_SECONDS = 120;

export const SpotInstanceInterruptionSchema = envelopeSchema(
  'aws.ec2',
  'EC2 Spot Instance Interruption Warning',
  // instance-action (terminate, stop or hibernate) is only logged: every one takes the tasks away.
  // AWS's sample has the placeholder "action" there.
  z.object({ 'instance-id': Ec2InstanceId, 'instance-action': z.string().optional() }),
);

export interface Ec2SpotWarning {
  kind: 'ec2-spot';
  instanceId: string;
  instanceAction?: string;
  /** When EC2 warned; undefined when the event does not say (the handler then counts from its receipt). */
  time?: Date;
}

export function parseEc2SpotWarning(raw: unknown): ParseResult<Ec2SpotWarning> {
  const parsed = safeParse(SpotInstanceInterruptionSchema, raw, 'EC2 Spot Instance Interruption Warning');
  if (!parsed.ok) return parsed;
  const time = eventTime(parsed.event.time);
  const instanceAction = parsed.event.detail['instance-action'];
  return accepted({
    kind: 'ec2-spot',
    instanceId: parsed.event.detail['instance-id'],
    ...definedOnly({ instanceAction, time }),
  });
}

export const RebalanceRecommendationSchema = envelopeSchema('aws.ec2', 'EC2 Instance Rebalance Recommendation', z.object({ 'instance-id': Ec2InstanceId }));

export interface RebalanceRecommendation {
  instanceId: string;
  time?: Date;
}

export function parseRebalanceRecommendation(raw: unknown): ParseResult<RebalanceRecommendation> {
  const parsed = safeParse(RebalanceRecommendationSchema, raw, 'EC2 Instance Rebalance Recommendation');
  if (!parsed.ok) return parsed;
  const time = eventTime(parsed.event.time);
  return accepted({ instanceId: parsed.event.detail['instance-id'], ...definedOnly({ time }) });
}
