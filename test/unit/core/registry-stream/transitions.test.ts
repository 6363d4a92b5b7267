import { describe, expect, it } from 'vitest';
import { collapseProtection, decideActions, protectionChange, type TaskImage } from '../../../../functions/core/registry-stream/transitions.js';
import { CLUSTER_ARN, OTHER_CLUSTER_ARN, taskArn } from '../../../support/deps.js';

const TASK = taskArn('aaaa');
const E1 = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-aaaa-1';
const E2 = 'arn:aws:states:us-east-1:111122223333:execution:SessionDrain:drain-aaaa-2';
/** The wait of execution `executionArn` is armed: its token is in that execution's wait item, not here. */
const armed = (executionArn: string) => ({ waitArmed: true, executionArn });

function image(overrides: Partial<TaskImage> = {}): TaskImage {
  return { pk: TASK, sk: 'TASK', clusterArn: CLUSTER_ARN, serviceName: 'web', status: 'ACTIVE', sessionCount: 0, ...overrides };
}

describe('protectionChange', () => {
  it.each([
    ['first session opens', image(), image({ sessionCount: 1 }), true],
    ['last session closes', image({ sessionCount: 2 }), image({ sessionCount: 0 }), false],
    ['a busy task gains another session', image({ sessionCount: 1 }), image({ sessionCount: 2 }), undefined],
    ['a busy task loses one of several sessions', image({ sessionCount: 3 }), image({ sessionCount: 2 }), undefined],
    ['an idle task heartbeats', image(), image(), undefined],
    ['a task registers idle', undefined, image(), undefined],
    ['a task registers with a session already counted', undefined, image({ sessionCount: 1 }), true],
    ['a cancelled drain returns an idle task to ACTIVE', image({ status: 'DRAINING' }), image(), false],
    ['a cancelled drain returns a busy task to ACTIVE', image({ status: 'DRAINING', sessionCount: 2 }), image({ sessionCount: 2 }), true],
    ['release-all returns a busy task to ACTIVE, unprotected on purpose', image({ status: 'DRAINING', sessionCount: 2 }), image({ sessionCount: 2, drainOutcome: 'RELEASED' }), undefined],
    ['a released task gains its first session again', image({ drainOutcome: 'RELEASED' }), image({ sessionCount: 1, drainOutcome: 'RELEASED' }), true],
    ['a draining task loses its last session', image({ status: 'DRAINING', sessionCount: 1 }), image({ status: 'DRAINING' }), undefined],
    ['a task without a service gains a session', image({ serviceName: undefined }), image({ serviceName: undefined, sessionCount: 1 }), undefined],
  ] as const)('%s -> %s', (_scenario, before, after, expected) => {
    expect(protectionChange(before, after)).toBe(expected);
  });
});

describe('decideActions', () => {
  it('completes a drain once: on the write that makes an armed draining task idle', () => {
    const idle = image({ status: 'DRAINING', ...armed(E1) });
    expect(decideActions({ oldImage: image({ status: 'DRAINING', sessionCount: 1, ...armed(E1) }), newImage: idle })).toEqual([
      { kind: 'complete-drain', taskArn: TASK, executionArn: E1 },
    ]);
    expect(decideActions({ oldImage: idle, newImage: { ...idle } })).toEqual([]);
  });

  it('completes a new drain attempt armed on an idle task after an old one', () => {
    const actions = decideActions({
      oldImage: image({ status: 'DRAINING', ...armed(E1) }),
      newImage: image({ status: 'DRAINING', ...armed(E2) }),
    });
    expect(actions).toEqual([{ kind: 'complete-drain', taskArn: TASK, executionArn: E2 }]);
  });

  it('fails the wait of a task that stopped while its wait was armed, and only on that write', () => {
    const stopped = image({ status: 'STOPPED', sessionCount: 2, ...armed(E1) });
    expect(decideActions({ oldImage: image({ status: 'DRAINING', sessionCount: 2, ...armed(E1) }), newImage: stopped })).toEqual([
      { kind: 'fail-wait-task-gone', taskArn: TASK, executionArn: E1 },
    ]);
    expect(decideActions({ oldImage: stopped, newImage: { ...stopped } })).toEqual([]);
  });

  it('reports a drain as finished once, on the write that records its outcome', () => {
    const draining = image({ status: 'DRAINING', drainStartedAt: 1000, sessionCount: 0 });
    const stopping = image({ status: 'STOPPING', drainStartedAt: 1000, drainOutcome: 'DRAINED' });

    expect(decideActions({ oldImage: draining, newImage: stopping })).toContainEqual({
      kind: 'drain-finished',
      taskArn: TASK,
      outcome: 'DRAINED',
      drainStartedAt: 1000,
    });
    expect(decideActions({ oldImage: stopping, newImage: image({ status: 'STOPPED', drainOutcome: 'DRAINED' }) })).toEqual([]);
  });

  it('keeps the start time of a cancelled drain, whose outcome write removes it', () => {
    const actions = decideActions({
      oldImage: image({ status: 'DRAINING', drainStartedAt: 1000, sessionCount: 2 }),
      newImage: image({ drainOutcome: 'CANCELLED', sessionCount: 2 }),
    });

    expect(actions).toContainEqual({ kind: 'drain-finished', taskArn: TASK, outcome: 'CANCELLED', drainStartedAt: 1000 });
  });

  it('decides nothing when the item is deleted', () => {
    expect(decideActions({ oldImage: image({ sessionCount: 1 }) })).toEqual([]);
  });
});

describe('collapseProtection', () => {
  it('keeps the last change per task and groups tasks by cluster', () => {
    const b = taskArn('bbbb');
    const other = taskArn('cccc', 'batch');
    const result = collapseProtection([
      { clusterArn: CLUSTER_ARN, taskArn: TASK, enabled: true },
      { clusterArn: CLUSTER_ARN, taskArn: b, enabled: true },
      { clusterArn: OTHER_CLUSTER_ARN, taskArn: other, enabled: false },
      { clusterArn: CLUSTER_ARN, taskArn: TASK, enabled: false },
    ]);
    expect([...result.entries()]).toEqual([
      [CLUSTER_ARN, { protect: [b], unprotect: [TASK] }],
      [OTHER_CLUSTER_ARN, { protect: [], unprotect: [other] }],
    ]);
  });
});
