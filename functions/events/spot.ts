import { parseEc2SpotWarning, type Ec2SpotWarning } from './ec2.js';
import { parseFargateSpotWarning, type FargateSpotWarning } from './ecs.js';
import { type ParseResult, rejected } from './parse.js';

export type SpotWarning = FargateSpotWarning | Ec2SpotWarning;

/**
 * The Spot handler serves two rules. The envelope's source decides which parser judges the
 * event, so that the rejection reason names the right fault.
 */
export function parseSpotWarning(raw: unknown): ParseResult<SpotWarning> {
  const source = raw !== null && typeof raw === 'object' ? (raw as { source?: unknown }).source : undefined;
  if (source === 'aws.ecs') return parseFargateSpotWarning(raw);
  if (source === 'aws.ec2') return parseEc2SpotWarning(raw);
  return rejected(`Spot warning: source ${JSON.stringify(source ?? null)} is neither aws.ecs nor aws.ec2`);
}
