import { parseArgs } from 'node:util';
import { arrivalsPerMinuteFor } from '../random.js';
import { Rehearsal } from '../rehearsal/rehearsal.js';
import { exitOnSignals, fail } from './cli-kit.js';

/**
 * npm run local: keeps the local cloud up and prints how to reach it. The gateway speaks the
 * AWS APIs the stack uses (Step Functions, DynamoDB, EventBridge, SQS through moto; ECS through
 * the twin), so the AWS CLI and SDKs work against it with --endpoint-url.
 */
const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    logs: { type: 'boolean', default: false },
    service: { type: 'string', default: '3', short: 's' },
    sessions: { type: 'string', default: '20' },
  },
});

async function main(): Promise<void> {
  const scale = Number(values.scale);
  const rehearsal = await Rehearsal.start({ scale, echoLogs: values.logs });
  exitOnSignals(() => rehearsal.stop());
  const tasks = Number(values.service);
  const clusterArn = rehearsal.twin.createCluster('sessions');
  if (tasks > 0) {
    rehearsal.twin.createService({ cluster: clusterArn, name: 'chat', desiredCount: tasks, taskDefinition: `arn:aws:ecs:us-east-1:${rehearsal.cloud.stack.accountId}:task-definition/chat:1` });
    const sessions = Number(values.sessions);
    if (sessions > 0) {
      // Users who keep about this many sessions open, each a few minutes long, so a deployment has something to drain.
      const durations = { medianSeconds: 180, sigma: 0.5, maxSeconds: 1200 };
      await rehearsal.waitFor(`${tasks} tasks accepting sessions`, () => rehearsal.apps.acceptingTasks().length >= tasks);
      rehearsal.workload({ seed: 1, arrivalsPerMinute: arrivalsPerMinuteFor(sessions, durations), durations }).start();
    }
  }
  const endpoint = rehearsal.cloud.endpoint;
  console.log(`local cloud is up (Ctrl-C stops it)

  endpoint        ${endpoint}
  region          ${rehearsal.cloud.stack.region}   credentials: AWS_ACCESS_KEY_ID=testing (the local admin; any secret)
  state machine   ${rehearsal.stateMachineArn}
  registry table  ${rehearsal.cloud.stack.tableName}
  ECS twin        cluster "sessions"${tasks > 0 ? `, service "chat" with ${tasks} tasks and about ${values.sessions} sessions` : ''}
  function logs   ${rehearsal.cloud.logDir}
  moto pid        ${rehearsal.cloud.moto.pid}

try:
  aws --endpoint-url ${endpoint} --region us-east-1 ecs update-service --cluster sessions --service chat --task-definition chat:2
  aws --endpoint-url ${endpoint} --region us-east-1 stepfunctions list-executions --state-machine-arn ${rehearsal.stateMachineArn}
  aws --endpoint-url ${endpoint} --region us-east-1 stepfunctions get-execution-history --execution-arn <arn>
  aws --endpoint-url ${endpoint} --region us-east-1 dynamodb scan --table-name ${rehearsal.cloud.stack.tableName}
`);
  await new Promise(() => undefined);
}

main().catch(fail);
