import { z } from 'zod';

/*
 * The EventBridge envelope as the handlers need it: source and detail-type say which parser judges
 * the event, and detail carries what the handler acts on. Nothing else is required. AWS's own
 * published samples leave fields out: the Fargate Spot warning in the ECS Developer Guide
 * (fargate-capacity-providers.html, "Handling Fargate Spot termination notices") has no time,
 * region or detail.version, and the EC2 samples (spot-instance-termination-notices.html,
 * rebalance-recommendations.html) carry the placeholder "yyyy-mm-ddThh:mm:ssZ" as their time.
 * events/aws/ holds them verbatim; test/unit/events/aws-samples.test.ts runs each through its handler.
 */

const RFC3339 = z.iso.datetime({ offset: true });

export function envelopeSchema<S extends string, T extends string, D extends z.ZodType>(source: S, detailType: T, detail: D) {
  return z.object({
    source: z.literal(source),
    'detail-type': z.literal(detailType),
    id: z.string().optional(),
    // Read by eventTime(): a time that is no RFC 3339 date counts as absent, so any value passes here.
    time: z.unknown().optional(),
    detail,
  });
}

/**
 * When the event happened, if it says so. EventBridge sets `time` on every event it delivers
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html); a sample without one,
 * or with AWS's placeholder, yields undefined and the caller uses the time it received the event.
 */
export function eventTime(time: unknown): Date | undefined {
  if (!RFC3339.safeParse(time).success) return undefined;
  const date = new Date(time as string);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
