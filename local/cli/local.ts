import { drainControlFunctionName } from '../cloud/stack/model.js';
import { arrivalsPerMinuteFor } from '../random.js';
import { Rehearsal } from '../rehearsal/rehearsal.js';
import { startConsole } from '../console/server.js';
import { exitOnSignals, fail } from './cli-kit.js';
import { commandLine, numberAtMost, wholeNumber } from './command-line.js';

/**
 * npm run local: keeps the local cloud up and prints how to reach it. The gateway speaks the
 * AWS APIs the stack uses (Step Functions, DynamoDB, EventBridge, SQS through moto; ECS through
 * the twin), so the AWS CLI and SDKs work against it with --endpoint-url.
 */
const { values } = commandLine({
  command: 'npm run local --',
  summary: [
    'Starts the local cloud (moto, the gateway, the ECS twin and the stack of template.yaml) with a',
    'cluster "sessions" and a service "chat" whose simulated users open sessions, prints its endpoint',
    'and keeps running until Ctrl-C.',
  ].join('\n'),
  flags: {
    scale: { type: 'string', placeholder: 'seconds', default: '1', check: numberAtMost(1), description: 'real seconds per scenario second: 1 is real time, 0.1 runs ten times faster' },
    service: { type: 'string', short: 's', placeholder: 'tasks', default: '3', check: wholeNumber, description: 'tasks of the service "chat" (0: no service)' },
    sessions: { type: 'string', placeholder: 'n', default: '20', check: wholeNumber, description: 'sessions the simulated users keep open, once the tasks take sessions (0: no users)' },
    logs: { type: 'boolean', description: "echo the functions' logs" },
  },
  epilog: [
    'New tasks take sessions once they pass their load balancer health checks, as on AWS: about',
    '150 scenario seconds (2.5 minutes at --scale 1); the command says when users start arriving.',
  ],
});

async function main(): Promise<void> {
  const rehearsal = await Rehearsal.start({ scale: values.scale, echoLogs: values.logs });
  exitOnSignals(() => rehearsal.stop());
  const tasks = values.service;
  const clusterArn = rehearsal.twin.createCluster('sessions');
  if (tasks > 0) {
    rehearsal.twin.createService({ cluster: clusterArn, name: 'chat', desiredCount: tasks, taskDefinition: `arn:aws:ecs:us-east-1:${rehearsal.cloud.stack.accountId}:task-definition/chat:1` });
  }
  const endpoint = rehearsal.cloud.endpoint;
  const localConsole = await startConsole(rehearsal);
  const { stack } = rehearsal.cloud;
  console.log(`local cloud is up (Ctrl-C stops it)

  endpoint        ${endpoint}
  console         ${localConsole.url}
  region          ${stack.region}   credentials: AWS_ACCESS_KEY_ID=testing (the local admin; any secret)
  state machine   ${rehearsal.stateMachineArn}
  registry table  ${stack.tableName}
  drain control   ${drainControlFunctionName(stack)}
  ECS twin        cluster "sessions"${tasks > 0 ? `, service "chat" with ${tasks} tasks and about ${values.sessions} sessions` : ''}
  function logs   ${rehearsal.cloud.logDir}
  moto pid        ${rehearsal.cloud.moto.pid}

try:
  export ENDPOINT=${endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=${stack.region}
  aws --endpoint-url $ENDPOINT ecs register-task-definition --family chat --container-definitions '[{"name":"app","image":"app:2"}]'
  aws --endpoint-url $ENDPOINT ecs update-service --cluster sessions --service chat --task-definition chat:2
  aws --endpoint-url $ENDPOINT stepfunctions list-executions --state-machine-arn ${rehearsal.stateMachineArn}
  aws --endpoint-url $ENDPOINT stepfunctions get-execution-history --execution-arn <arn>
  aws --endpoint-url $ENDPOINT dynamodb scan --table-name ${stack.tableName}
`);
  if (tasks > 0 && values.sessions > 0) await startUsers(rehearsal, tasks, values.sessions);
  await new Promise(() => undefined);
}

/**
 * Users arrive once the service's tasks take sessions. The banner comes first: the endpoint is
 * usable at once, and new tasks need their health checks (150 scenario seconds) before users.
 */
async function startUsers(rehearsal: Rehearsal, tasks: number, sessions: number): Promise<void> {
  const startupRealMs = 150_000 * rehearsal.clock.scale;
  console.log(`service "chat": waiting for ${tasks} tasks to pass their health checks (about ${Math.ceil(startupRealMs / 1000)} s)...`);
  await rehearsal.waitFor(`${tasks} tasks accepting sessions`, () => rehearsal.apps.acceptingTasks().length >= tasks, 600_000 * rehearsal.clock.scale + 60_000);
  // Users who keep about this many sessions open, each a few minutes long, so a deployment has something to drain.
  const durations = { medianSeconds: 180, sigma: 0.5, maxSeconds: 1200 };
  rehearsal.workload({ seed: 1, arrivalsPerMinute: arrivalsPerMinuteFor(sessions, durations), durations }).start();
  console.log(`service "chat": ${tasks} tasks take sessions; users are arriving (about ${sessions} sessions open at a time)`);
}

main().catch(fail);
