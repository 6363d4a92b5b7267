import { z } from 'zod';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { Ec2InstanceId } from './arns.js';
import { accepted, type ParseResult, safeParse } from './parse.js';

/*
 * EC2 events about an instance that ECS tasks may run on. They name the instance only; the
 * handler finds its cluster by asking ECS.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html
 */

/** EC2 reclaims the instance this long after the warning. */
export const SPOT_WARNING_LEAD_SECONDS = 120;

export const SpotInstanceInterruptionSchema = EventBridgeSchema.extend({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Spot Instance Interruption Warning'),
  detail: z.object({
    'instance-id': Ec2InstanceId,
    'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
  }),
});

export interface Ec2SpotWarning {
  kind: 'ec2-spot';
  instanceId: string;
  instanceAction: 'terminate' | 'stop' | 'hibernate';
  time: Date;
  /** When EC2 acts on the instance: two minutes after the warning. */
  actionTime: Date;
}

export function parseEc2SpotWarning(raw: unknown): ParseResult<Ec2SpotWarning> {
  const parsed = safeParse(SpotInstanceInterruptionSchema, raw, 'EC2 Spot Instance Interruption Warning');
  if (!parsed.ok) return parsed;
  const time = new Date(parsed.event.time);
  return accepted({
    kind: 'ec2-spot',
    instanceId: parsed.event.detail['instance-id'],
    instanceAction: parsed.event.detail['instance-action'],
    time,
    actionTime: new Date(time.getTime() + SPOT_WARNING_LEAD_SECONDS * 1000),
  });
}

export const RebalanceRecommendationSchema = EventBridgeSchema.extend({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Instance Rebalance Recommendation'),
  detail: z.object({ 'instance-id': Ec2InstanceId }),
});

export interface RebalanceRecommendation {
  instanceId: string;
  time: Date;
}

export function parseRebalanceRecommendation(raw: unknown): ParseResult<RebalanceRecommendation> {
  const parsed = safeParse(RebalanceRecommendationSchema, raw, 'EC2 Instance Rebalance Recommendation');
  if (!parsed.ok) return parsed;
  return accepted({ instanceId: parsed.event.detail['instance-id'], time: new Date(parsed.event.time) });
}
