import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sampleRefs } from '../../../cli/invoke-setup.js';

const HERE = { accountId: '111122223333', region: 'us-east-1' };
const TASK = 'arn:aws:ecs:us-east-1:111122223333:task/sessions/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const sample = (file: string): unknown => JSON.parse(readFileSync(`events/${file}`, 'utf8'));

describe("what npm run invoke prepares for a sample", () => {
  it('finds the task, its cluster and the drain execution of a workflow step, with the service the sample names', () => {
    expect(sampleRefs(sample('record-drain.json'), HERE)).toEqual({
      tasks: [{ taskArn: TASK, taskId: '0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c', clusterName: 'sessions', clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions', serviceName: 'chat-gateway' }],
      clusterArns: ['arn:aws:ecs:us-east-1:111122223333:cluster/sessions'],
      drainExecutionArn: 'arn:aws:states:us-east-1:111122223333:execution:ecs-session-drain-drain:drain-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c-1',
    });
  });

  it("reads an ECS event's service from its group", () => {
    expect(sampleRefs(sample('task-running.json'), HERE).tasks).toEqual([expect.objectContaining({ taskArn: TASK, serviceName: 'chat-gateway' })]);
  });

  it('prepares nothing for a task of another account or Region, but still reports its cluster', () => {
    const event = { taskArn: 'arn:aws:ecs:eu-west-1:444455556666:task/other/0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c', cluster: 'arn:aws:ecs:eu-west-1:444455556666:cluster/other' };

    expect(sampleRefs(event, HERE)).toEqual({ tasks: [], clusterArns: ['arn:aws:ecs:eu-west-1:444455556666:cluster/other'], drainExecutionArn: undefined });
  });

  it('prepares nothing for an event that names no task', () => {
    expect(sampleRefs(sample('deployment-in-progress.json'), HERE)).toEqual({ tasks: [], clusterArns: [], drainExecutionArn: undefined });
  });
});
