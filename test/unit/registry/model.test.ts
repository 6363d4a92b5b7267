import { describe, expect, it } from 'vitest';
import {
  drainExecutionName,
  serviceNameFromArn,
  serviceNameFromGroup,
  serviceTaskKey,
  taskIdOf,
} from '../../../functions/registry/model.js';

describe('registry model', () => {
  it('finds the task id in both the long and the legacy task ARN formats', () => {
    expect(taskIdOf('arn:aws:ecs:us-east-1:111122223333:task/sessions/0123456789abcdef0123456789abcdef')).toBe(
      '0123456789abcdef0123456789abcdef',
    );
    expect(taskIdOf('arn:aws:ecs:us-east-1:111122223333:task/1dc5c17a-422b-4dc4-b493-371970c6c4d6')).toBe(
      '1dc5c17a-422b-4dc4-b493-371970c6c4d6',
    );
  });

  it('names drain executions within the 80 allowed characters of [A-Za-z0-9-_]', () => {
    const name = drainExecutionName(`arn:aws:ecs:us-east-1:111122223333:task/sessions/${'a'.repeat(100)}.x`, 12);

    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(drainExecutionName('arn:aws:ecs:us-east-1:1:task/c/abc', 3)).toBe('drain-abc-3');
  });

  it('reads service names from task groups and service ARNs, and none from standalone groups', () => {
    expect(serviceNameFromGroup('service:web')).toBe('web');
    expect(serviceNameFromGroup('family:batch')).toBeUndefined();
    expect(serviceNameFromGroup(undefined)).toBeUndefined();
    expect(serviceNameFromArn('arn:aws:ecs:us-east-1:111122223333:service/sessions/web')).toBe('web');
    expect(serviceTaskKey(undefined, 'arn:t')).toBe('-#arn:t');
    expect(serviceTaskKey('web', 'arn:t')).toBe('web#arn:t');
  });
});
