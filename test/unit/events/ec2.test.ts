import { describe, expect, it } from 'vitest';
import { parseEc2SpotWarning, parseRebalanceRecommendation } from '../../../functions/events/ec2.js';
import { parseSpotWarning } from '../../../functions/events/spot.js';
import { EC2_INSTANCE_ID, ec2SpotWarning, fargateSpotWarning, rebalanceRecommendation } from '../../support/ecs-events.js';

describe('EC2 Spot interruption warning parser', () => {
  it('reads the instance, its action and the warning time (the handler counts the two minutes from it)', () => {
    expect(parseEc2SpotWarning(ec2SpotWarning())).toEqual({
      ok: true,
      event: {
        kind: 'ec2-spot',
        instanceId: EC2_INSTANCE_ID,
        instanceAction: 'terminate',
        time: new Date('2026-11-21T09:59:50Z'),
      },
    });
  });

  it('takes a warning whatever its instance-action says: each takes the tasks away (AWS\'s sample has the placeholder "action")', () => {
    const result = parseEc2SpotWarning(ec2SpotWarning({ 'instance-action': 'action' }));

    expect(result).toMatchObject({ ok: true, event: { instanceId: EC2_INSTANCE_ID, instanceAction: 'action' } });
  });

  it('reads no time from a placeholder or a missing one, so that the handler counts from its receipt', () => {
    const { time: _omitted, ...withoutTime } = ec2SpotWarning() as Record<string, unknown>;

    expect(parseEc2SpotWarning({ ...ec2SpotWarning(), time: 'yyyy-mm-ddThh:mm:ssZ' })).toEqual({
      ok: true,
      event: { kind: 'ec2-spot', instanceId: EC2_INSTANCE_ID, instanceAction: 'terminate' },
    });
    expect(parseEc2SpotWarning(withoutTime)).toMatchObject({ ok: true, event: { instanceId: EC2_INSTANCE_ID } });
  });

  it('rejects a malformed instance id', () => {
    const result = parseEc2SpotWarning(ec2SpotWarning({ 'instance-id': 'web-1' }));

    expect(!result.ok && result.reason).toContain('not an EC2 instance id');
  });
});

describe('rebalance recommendation parser', () => {
  it('reads the instance id', () => {
    expect(parseRebalanceRecommendation(rebalanceRecommendation())).toEqual({
      ok: true,
      event: { instanceId: EC2_INSTANCE_ID, time: new Date('2026-11-21T09:59:50Z') },
    });
  });

  it('rejects a Spot warning sent to the rebalance handler', () => {
    const result = parseRebalanceRecommendation(ec2SpotWarning());

    expect(!result.ok && result.reason).toContain('detail-type');
  });
});

describe('Spot warning dispatch', () => {
  it('judges an aws.ecs event as a Fargate warning and an aws.ec2 event as an EC2 warning', () => {
    const fargate = parseSpotWarning(fargateSpotWarning());
    const ec2 = parseSpotWarning(ec2SpotWarning());

    expect(fargate.ok && fargate.event.kind).toBe('fargate-spot');
    expect(ec2.ok && ec2.event.kind).toBe('ec2-spot');
  });

  it('names the source when it is neither', () => {
    const result = parseSpotWarning({ ...ec2SpotWarning(), source: 'aws.s3' });

    expect(!result.ok && result.reason).toContain('"aws.s3"');
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', []],
  ])('rejects %s without throwing', (_name, raw) => {
    expect(parseSpotWarning(raw).ok).toBe(false);
  });
});
