import { describe, expect, it } from 'vitest';
import { hasUnfinishedDrain } from '../../../../functions/core/drain/unfinished.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { CLUSTER_ARN, taskArn } from '../../../support/deps.js';

/*
 * Drains nobody drives, found by the fault tests (test/e2e/faults). Missed deployments, the
 * reconciler's other repair, are now paced like any deployment: see test/unit/core/deployments
 * and the reconciler's tests.
 */

function item(id: string, overrides: Partial<TaskItem> = {}): TaskItem {
  const arn = taskArn(id);
  return { pk: arn, sk: 'TASK', taskArn: arn, clusterArn: CLUSTER_ARN, serviceTask: `web#${arn}`, serviceName: 'web', sessionCount: 1, status: 'ACTIVE', ...overrides };
}

describe('hasUnfinishedDrain', () => {
  it.each([
    ['a DRAINING task', { status: 'DRAINING' as const }, true],
    ['an ACTIVE task whose recorded drain never marked it (a crashed step, a stopped execution)', { executionArn: 'arn:x', drainReason: 'DEPLOYMENT' as const }, true],
    ['an ACTIVE task whose drain was claimed (reason set, last outcome cleared) but whose execution never started', { executionArn: 'arn:x', drainAttempt: 2, drainReason: 'SCALE_IN' as const }, true],
    ['an ACTIVE task whose last drain ended (cancelled)', { executionArn: 'arn:x', drainReason: 'DEPLOYMENT' as const, drainOutcome: 'CANCELLED' as const }, false],
    ['an ACTIVE task with a claim that recorded no reason (claimed before claims did)', { executionArn: 'arn:x' }, false],
    ['an ACTIVE task never drained', {}, false],
    ['a STOPPING task', { status: 'STOPPING' as const, executionArn: 'arn:x', drainReason: 'MANUAL' as const }, false],
  ])('%s: %s', (_, overrides, expected) => {
    expect(hasUnfinishedDrain(item('a', overrides))).toBe(expected);
  });
});
