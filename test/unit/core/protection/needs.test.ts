import { describe, expect, it } from 'vitest';
import { needsProtection } from '../../../../functions/core/protection/needs.js';
import type { TaskItem } from '../../../../functions/registry/model.js';
import { CLUSTER_ARN, taskArn } from '../../../support/deps.js';

const NOW = 1_800_000_000;

function item(overrides: Partial<TaskItem> = {}): TaskItem {
  const arn = taskArn('a');
  return { pk: arn, sk: 'TASK', taskArn: arn, clusterArn: CLUSTER_ARN, serviceTask: `web#${arn}`, serviceName: 'web', sessionCount: 0, status: 'ACTIVE', ...overrides };
}

describe('needsProtection', () => {
  it.each([
    ['protection lapses within the renewal window', { sessionCount: 1, protectionState: 'PROTECTED', protectedUntil: NOW + 3600 }, true],
    ['protection has long to run', { sessionCount: 1, protectionState: 'PROTECTED', protectedUntil: NOW + 30 * 3600 }, false],
    ['protection was blocked', { sessionCount: 1, protectionState: 'BLOCKED' }, true],
    ['protection was never recorded', { sessionCount: 2 }, true],
    ['a draining task still serves sessions', { status: 'DRAINING', sessionCount: 1, protectionState: 'PROTECTED', protectedUntil: NOW + 60 }, true],
    ['the task is idle', { sessionCount: 0, protectionState: 'BLOCKED' }, false],
    ['release-all unprotected the busy task', { sessionCount: 2, drainOutcome: 'RELEASED', protectionState: 'UNPROTECTED' }, false],
    ['a released task was protected again by its next first session', { sessionCount: 1, drainOutcome: 'RELEASED', protectionState: 'PROTECTED', protectedUntil: NOW + 60 }, true],
    ['the task belongs to no service', { sessionCount: 1, serviceName: undefined }, false],
    ['the task is stopping', { status: 'STOPPING', sessionCount: 1 }, false],
  ] as const)('%s', (_scenario, overrides, expected) => {
    expect(needsProtection(item(overrides as Partial<TaskItem>), NOW, 6 * 3600)).toBe(expected);
  });
});
