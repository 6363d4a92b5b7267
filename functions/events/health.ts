import { z } from 'zod';
import { ec2InstanceIdPattern } from './arns.js';
import { envelopeSchema, eventTime } from './envelope.js';
import { accepted, type ParseResult, rejected, safeParse } from './parse.js';
import { definedOnly } from '../shared/optional.js';

/*
 * AWS Health's "AWS Health Event" for EC2 scheduled events: maintenance that takes an instance away
 * at a known time (https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html;
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instances-status-check_sched.html).
 * startTime is an HTTP date ("Sat, 05 Jun 2016 15:10:09 GMT") in AWS's samples; an RFC 3339 one is
 * read too. The instances are in affectedEntities[].entityValue (and in resources).
 */

/** The event types that stop, reboot, retire or terminate the instance itself: its tasks go at startTime. */
export const INSTANCE_MAINTENANCE_EVENT_TYPES = [
  'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
  'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED',
  'AWS_EC2_INSTANCE_STOP_SCHEDULED',
  'AWS_EC2_INSTANCE_TERMINATION_SCHEDULED',
  'AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED',
  'AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED',
] as const;

export const HealthEventSchema = envelopeSchema(
  'aws.health',
  'AWS Health Event',
  z.object({
    service: z.string(),
    eventTypeCode: z.string(),
    eventTypeCategory: z.string(),
    startTime: z.string(),
    statusCode: z.string().optional(),
    eventArn: z.string().optional(),
    affectedEntities: z.array(z.object({ entityValue: z.string() })).optional(),
  }),
).extend({ resources: z.array(z.unknown()).optional() });

export interface ScheduledMaintenance {
  eventTypeCode: string;
  eventArn?: string;
  /** When the maintenance starts: the drains' deadline. */
  startTime: Date;
  instanceIds: string[];
  time?: Date;
}

export function parseScheduledMaintenance(raw: unknown): ParseResult<ScheduledMaintenance> {
  const parsed = safeParse(HealthEventSchema, raw, 'AWS Health Event');
  if (!parsed.ok) return parsed;
  const { detail, resources } = parsed.event;
  if (detail.service !== 'EC2' || detail.eventTypeCategory !== 'scheduledChange') {
    return rejected(`AWS Health Event: ${detail.service} ${detail.eventTypeCategory} is not an EC2 scheduled change`);
  }
  if (!(INSTANCE_MAINTENANCE_EVENT_TYPES as readonly string[]).includes(detail.eventTypeCode)) {
    return rejected(`AWS Health Event: ${detail.eventTypeCode} does not take an instance away`);
  }
  if (detail.statusCode === 'closed') return rejected(`AWS Health Event: ${detail.eventTypeCode} is closed (the maintenance is over)`);
  const startTime = new Date(detail.startTime);
  if (Number.isNaN(startTime.getTime())) return rejected(`AWS Health Event: startTime "${detail.startTime}" is no date`);
  const named = [...(detail.affectedEntities ?? []).map((entity) => entity.entityValue), ...(resources ?? [])];
  const instanceIds = [...new Set(named.filter((value): value is string => typeof value === 'string' && ec2InstanceIdPattern.test(value)))];
  if (instanceIds.length === 0) return rejected('AWS Health Event: names no EC2 instance');
  return accepted({
    eventTypeCode: detail.eventTypeCode,
    startTime,
    instanceIds,
    ...definedOnly({ eventArn: detail.eventArn, time: eventTime(parsed.event.time) }),
  });
}
