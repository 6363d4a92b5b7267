import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainControlFunctionName } from '../../../cloud/stack/model.js';
import { Rehearsal } from '../../../rehearsal/rehearsal.js';
import { deploymentState, serviceTasks } from '../../../rehearsal/twin-queries.js';

/*
 * Issue 18, "the first ten minutes": the AWS CLI (awscli, as a person types it) against `npm run
 * local`'s cloud. list-clusters, register-task-definition, create-service, update-service naming
 * the revision registered after it, describe-services; the service created through the API is a
 * real twin service: its tasks run the simulated session servers, which register them, and the
 * update-service deployment drains them through the orchestrator. Then lambda list-functions /
 * get-function show the stack's functions, and delete-service takes the service away.
 * Starts the local cloud: run under the lock (flock /tmp/heavy.lock npx vitest run <this file>).
 */

const CONTAINER = { name: 'app', image: 'public.ecr.aws/docker/library/node:22', essential: true, portMappings: [{ containerPort: 8080 }], stopTimeout: 120 };
const SESSIONS = 24;

describe('the first ECS and Lambda commands a person types against the local cloud', () => {
  let rehearsal: Rehearsal;
  let endpoint: string;

  function aws(args: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    };
    return new Promise((resolve) => {
      execFile('aws', ['--endpoint-url', endpoint, '--output', 'json', ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, json: stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>), stderr });
      });
    });
  }

  async function ok(args: string[]): Promise<Record<string, unknown>> {
    const run = await aws(args);
    expect(run.code, `aws ${args.join(' ')}: ${run.stderr}`).toBe(0);
    return run.json;
  }

  beforeAll(async () => {
    rehearsal = await Rehearsal.start({ scale: 0.01 });
    rehearsal.twin.createCluster('sessions');
    endpoint = rehearsal.cloud.endpoint;
  }, 120_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('registers, creates, updates and describes a service whose deployment drains every old task, dropping and refusing no session', async () => {
    const clusterArn = `arn:aws:ecs:us-east-1:${rehearsal.cloud.stack.accountId}:cluster/sessions`;
    const register = ['ecs', 'register-task-definition', '--family', 'chat', '--container-definitions', JSON.stringify([CONTAINER]), '--requires-compatibilities', 'FARGATE', '--network-mode', 'awsvpc', '--cpu', '256', '--memory', '512'];

    const clusters = await ok(['ecs', 'list-clusters']);
    const first = (await ok(register)) as { taskDefinition: { taskDefinitionArn: string; revision: number } };
    const created = (await ok(['ecs', 'create-service', '--cluster', 'sessions', '--service-name', 'chat', '--task-definition', 'chat', '--desired-count', '3', '--launch-type', 'FARGATE'])) as { service: Record<string, unknown> };
    const inCluster = (task: { clusterArn: string }) => task.clusterArn === clusterArn;
    await rehearsal.waitFor('3 chat tasks taking sessions', () => rehearsal.apps.acceptingTasks(inCluster).length === 3, 60_000);
    const workload = rehearsal.workload({ seed: 18, arrivalsPerMinute: 4, durations: { medianSeconds: 120, sigma: 0.5, maxSeconds: 600 }, targets: inCluster, idPrefix: 'cli' });
    await workload.burst(SESSIONS);
    workload.start();
    await rehearsal.clock.sleep(60);
    const second = (await ok(register)) as { taskDefinition: { taskDefinitionArn: string; revision: number } };
    const updated = (await ok(['ecs', 'update-service', '--cluster', 'sessions', '--service', 'chat', '--task-definition', 'chat:2'])) as { service: { deployments: { id: string; status: string; taskDefinition: string }[] } };
    const deploymentId = updated.service.deployments[0]?.id ?? '';
    await rehearsal.waitFor('the chat:2 deployment to complete', () => deploymentState(rehearsal.twin, 'chat', deploymentId, 'sessions') === 'COMPLETED', 150_000, 200);
    await workload.stop();
    const described = (await ok(['ecs', 'describe-services', '--cluster', 'sessions', '--services', 'chat'])) as { services: Record<string, unknown>[]; failures: unknown[] };
    const oldTasks = serviceTasks(rehearsal.twin, 'chat', 'sessions').filter((task) => task.taskDefinitionArn === first.taskDefinition.taskDefinitionArn);
    // A drain's workflow records its outcome a moment after its task stopped, which may be after
    // ECS called the deployment complete.
    const oldTaskArns = new Set(oldTasks.map((task) => task.taskArn));
    const drains = await rehearsal.waitFor('the old tasks\' drains to end', async () => {
      const executions = (await rehearsal.drainExecutions()).filter((execution) => oldTaskArns.has(execution.taskArn ?? ''));
      return executions.length === oldTaskArns.size && executions.every((execution) => execution.status !== 'RUNNING') && executions;
    }, 30_000, 250);
    const items = await Promise.all(serviceTasks(rehearsal.twin, 'chat', 'sessions').map((task) => rehearsal.taskItem(task.taskArn)));
    const sessions = rehearsal.ledger.records().filter((record) => record.id.startsWith('cli'));

    expect(clusters).toEqual({ clusterArns: [clusterArn] });
    expect([first.taskDefinition.revision, second.taskDefinition.revision]).toEqual([1, 2]);
    expect(created.service).toMatchObject({ serviceName: 'chat', status: 'ACTIVE', desiredCount: 3, taskDefinition: first.taskDefinition.taskDefinitionArn });
    expect(updated.service.deployments.map((deployment) => [deployment.status, deployment.taskDefinition])).toEqual([
      ['PRIMARY', second.taskDefinition.taskDefinitionArn],
      ['ACTIVE', first.taskDefinition.taskDefinitionArn],
    ]);
    expect(described.failures).toEqual([]);
    expect(described.services[0]).toMatchObject({
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 3,
      taskDefinition: second.taskDefinition.taskDefinitionArn,
      deployments: [{ id: deploymentId, status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 3 }],
    });
    // The old tasks registered through the simulated apps and were drained, each to its last session.
    expect(oldTasks).toHaveLength(3);
    expect(oldTasks.map((task) => drains.find((drain) => drain.taskArn === task.taskArn)?.outcome)).toEqual(['DRAINED', 'DRAINED', 'DRAINED']);
    expect(sessions.length).toBeGreaterThanOrEqual(SESSIONS);
    expect(sessions.filter((record) => record.end === 'dropped' || record.end === 'rejected')).toEqual([]);
    expect(items.filter((item) => item?.status === 'DRAINING')).toEqual([]);
  }, 240_000);

  it('lists and gets the stack functions, DrainControlFunction under the name the stack outputs', async () => {
    const name = drainControlFunctionName(rehearsal.cloud.stack);
    const spec = rehearsal.cloud.stack.functions.DrainControlFunction;

    const listed = (await ok(['lambda', 'list-functions'])) as { Functions: { FunctionName: string }[] };
    const got = (await ok(['lambda', 'get-function', '--function-name', name])) as { Configuration: Record<string, unknown> };

    expect(listed.Functions.map((fn) => fn.FunctionName).sort()).toEqual(Object.values(rehearsal.cloud.stack.functions).map((fn) => fn.name).sort());
    expect(got.Configuration).toMatchObject({
      FunctionName: name,
      FunctionArn: spec?.arn,
      Runtime: 'nodejs22.x',
      Handler: `${spec?.handlerFile}.${spec?.handlerExport}`,
      Timeout: spec?.timeoutSeconds,
      MemorySize: spec?.memorySize,
      Environment: { Variables: spec?.environment },
    });
  }, 60_000);

  it('deletes the service with --force: DRAINING while its tasks stop, then INACTIVE, gone from list-services', async () => {
    const deleted = (await ok(['ecs', 'delete-service', '--cluster', 'sessions', '--service', 'chat', '--force'])) as { service: { status: string } };
    await rehearsal.waitFor('every chat task stopped', () => serviceTasks(rehearsal.twin, 'chat', 'sessions').every((task) => task.lastStatus === 'STOPPED'), 60_000);
    const described = (await ok(['ecs', 'describe-services', '--cluster', 'sessions', '--services', 'chat'])) as { services: { status: string }[] };
    const listed = await ok(['ecs', 'list-services', '--cluster', 'sessions']);
    const refused = await aws(['ecs', 'update-service', '--cluster', 'sessions', '--service', 'chat', '--desired-count', '1']);

    expect(deleted.service.status).toBe('DRAINING');
    expect(described.services.map((service) => service.status)).toEqual(['INACTIVE']);
    expect(listed).toEqual({ serviceArns: [] });
    expect(refused.stderr.trim()).toBe('An error occurred (ServiceNotActiveException) when calling the UpdateService operation: Service was not ACTIVE.');
  }, 120_000);
});
