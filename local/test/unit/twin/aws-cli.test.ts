import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { twinEndpoint } from './http-endpoint.js';
import { ACCOUNT, CLUSTER_ARN, REGION, startTwin, taskDefinition } from './support.js';

/**
 * The AWS CLI (awscli, as a person types it) against the twin through the JSON 1.1 adapter the
 * gateway uses: what it prints for an operation the twin does not emulate, and that its first
 * commands answer. The local-cloud version of this is local/test/integration/cloud/twin-api-cli.test.ts.
 */


/** Runs `aws <args>` with the local cloud's credentials and no profile of the machine's. */
function aws(endpoint: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
  return new Promise((resolve) => {
    execFile('aws', ['--endpoint-url', endpoint, '--output', 'json', ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('the twin through the AWS CLI', () => {
  it('prints the operation an unemulated call named and that the local ECS twin does not emulate it', async () => {
    const harness = startTwin();
    const endpoint = await twinEndpoint(harness.twin);

    const run = await aws(endpoint, ['ecs', 'run-task', '--cluster', 'sessions', '--task-definition', 'chat:1']);

    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(
      'An error occurred (UnknownOperationException) when calling the RunTask operation: RunTask is not emulated by the local ECS twin (docs/local-cloud.md lists the operations it answers).',
    );
  }, 60_000);

  it('answers list-clusters and names a task definition nobody registered in ECS words', async () => {
    const harness = startTwin();
    harness.twin.createCluster('batch');
    harness.twin.createService({ cluster: 'sessions', name: 'chat', desiredCount: 1, taskDefinition: taskDefinition(1) });
    const endpoint = await twinEndpoint(harness.twin);

    const listed = await aws(endpoint, ['ecs', 'list-clusters']);
    const unknown = await aws(endpoint, ['ecs', 'update-service', '--cluster', 'sessions', '--service', 'chat', '--task-definition', 'chat:9']);

    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ clusterArns: [CLUSTER_ARN, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/batch`] });
    expect(unknown.stderr.trim()).toBe('An error occurred (ClientException) when calling the UpdateService operation: TaskDefinition not found.');
  }, 60_000);
});
