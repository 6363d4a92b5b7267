import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { FunctionNotFoundError, MotoUnavailableError } from './errors.js';
import type { EventDelivery } from './eventbridge/delivery.js';
import { startEventSources } from './event-sources.js';
import { FunctionHost, type InvocationType, type InvokeResult } from './lambda/host.js';
import { isLambdaControlRequest, lambdaControlResponse } from './lambda/control-api.js';
import { type AutoScalingRoute, type EcsRoute, type ElbRoute, Gateway, type LambdaRoute } from './gateway.js';
import { freeServerPort, startMoto } from './moto.js';
import { track, untrack } from './process-cleanup.js';
import type { Scheduler } from './eventbridge/scheduler.js';
import { type CustomResourceAnswer, CustomResourceLifecycle } from './stack/custom-resources.js';
import { deployLocalStack } from './stack/stack.js';
import type { LocalStack } from './stack/model.js';
import type { StreamPoller } from './dynamodb-streams/poller.js';
import { loadTemplate, TEMPLATE_PATH } from './stack/template.js';
import { definedOnly } from '../../functions/shared/optional.js';
import { IamAuthorizer } from './iam/authorizer.js';
import { type IamMode, LocalIam, motoIamEnvironment } from './iam/iam.js';
import { translateTemplate } from './stack/sam-translation.js';
import type { FaultInjector } from './lambda/fault-injection.js';

/**
 * local/cloud/: this file and event-sources.ts wire the folders (stack/, iam/, lambda/, eventbridge/,
 * dynamodb-streams/) together; no folder imports them. The gateway, moto and the helpers beside them
 * (errors, clock, timing, optional, process-cleanup) import no folder but lambda/'s types.
 *
 * startLocalCloud(): the whole orchestrator on one machine. moto (with its Step Functions
 * interpreter calling back into the gateway), the gateway, the stack from template.yaml, the
 * functions in worker threads, and the event sources that drive them: EventBridge rules, the
 * registry stream and the reconciler schedule. stop() ends all of it, and so does the process
 * ending.
 */

export type { EcsResponse, EcsRoute, ElbRoute, GatewayCounts } from './gateway.js';
export type { FunctionStats, InvocationRecord, InvocationType, InvokeResult } from './lambda/host.js';
export type { LocalStack } from './stack/model.js';

export const LOCAL_ACCOUNT_ID = '111122223333';

export interface LocalCloudOptions {
  /** Default: the repository's template.yaml; the functions' paths are relative to its directory. */
  templatePath?: string;
  /** Template parameters (ClusterArns, scaled time parameters, ...). */
  parameters?: Record<string, string | string[]>;
  stackName?: string;
  /** Answers ECS API calls (the twin); without it they go to moto's ECS. */
  ecs?: EcsRoute;
  /** Answers Elastic Load Balancing calls it knows (the twin's DescribeTargetHealth); the rest, and all without it, go to moto. */
  elb?: ElbRoute;
  /** Answers Auto Scaling calls (the twin's groups and their lifecycle hooks); without it they go to moto. */
  autoscaling?: AutoScalingRoute;
  /** Schedule period = template rate x this factor (default 1). */
  schedulePeriodFactor?: number;
  /** Schedule period in real ms, for all schedules or per rule logical id; wins over the factor. */
  schedulePeriodMs?: number | Record<string, number>;
  /** Start the schedules (default true); tick() them by hand otherwise. */
  startSchedules?: boolean;
  /**
   * false: only direct invocations run functions; no EventBridge rule delivers, no stream record
   * or schedule invokes, as with `sam local invoke` (npm run invoke). Default true.
   */
  eventSources?: boolean;
  /** First delay of EventBridge's retries when Lambda does not accept an event (default 1000 ms). */
  deliveryRetryDelayMs?: number;
  /** Delays before Lambda's async retries (default [1000, 2000]). */
  asyncRetryDelaysMs?: number[];
  /** First delay of the stream poller's retries of a failed batch (default 500 ms). */
  streamRetryDelayMs?: number;
  /**
   * Scales the template's service-side durations like the scenario clock (default 1):
   * MaximumEventAgeInSeconds, MaximumBatchingWindowInSeconds, MaximumRecordAgeInSeconds and the
   * async retry delays.
   */
  timeFactor?: number;
  maxWorkersPerFunction?: number;
  /** Default <repo>/.local-cloud/logs: <LogicalId>.log per function, moto.log, local-cloud.log. */
  logDir?: string;
  /** Default <repo>/.local-cloud/build. */
  buildDir?: string;
  /** Echo the functions' log lines on stderr: all (true) or those of the named functions. */
  echoLogs?: boolean | readonly string[];
  motoPort?: number;
  gatewayPort?: number;
  region?: string;
  accountId?: string;
  /** Fault tests: handler invocations that crash mid-way (lambda/fault-injection.ts). */
  faults?: FaultInjector;
  /**
   * 'enforce' (default): every function runs under its template role and moto enforces IAM
   * (iam/iam.ts); 'off': every caller may do anything. Default: 'off' when LOCAL_CLOUD_IAM=off.
   */
  iam?: IamMode;
}

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface LocalCloud {
  /** The gateway: the endpoint for every SDK client and CLI (AWS_ENDPOINT_URL). */
  endpoint: string;
  motoEndpoint: string;
  moto: { pid: number; port: number };
  stack: LocalStack;
  functions: FunctionHost;
  gateway: Gateway;
  delivery: EventDelivery;
  streams: StreamPoller;
  scheduler: Scheduler;
  logDir: string;
  clientConfig: ClientConfig;
  /** The stack's roles and sessions when IAM is enforced (iam: 'enforce'). */
  iam: LocalIam | undefined;
  /** Problems of the plumbing (not of the functions): undeliverable events, poller errors. */
  problems: string[];
  /** PutEvents of an EventBridge envelope to a bus (default: the default bus); returns the event id. */
  publish(event: unknown, busName?: string): Promise<string>;
  /** Invokes a function of the stack by logical id (default synchronously). */
  invoke(logicalId: string, payload: unknown, invocationType?: InvocationType): Promise<InvokeResult>;
  /**
   * What CloudFormation does on `sam delete`: the triggers go first (every function that starts
   * drains DependsOn the custom resources), then each custom resource's function gets its Delete
   * request and must answer. The functions keep running until stop(). Once only.
   */
  deleteStack(): Promise<CustomResourceAnswer[]>;
  /**
   * Ends everything: the local cloud going away, not `sam delete` (deleteStack() is that; a test
   * that tears down sends no Delete, which would cost every teardown a release it does not check).
   * A custom resource that failed the Delete deleteStack() sent fails stop() last.
   */
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

async function enableStateMachineExecution(motoEndpoint: string): Promise<void> {
  const response = await fetch(`${motoEndpoint}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new MotoUnavailableError(`moto refused to execute state machines (HTTP ${response.status}); moto 5.2 or later is needed`);
}

/**
 * The template's ClusterArns has no default (an ARN names an account and Region): locally, unless
 * the caller names others, the stack drains the twin's cluster "sessions".
 */
function localClusters(templatePath: string, region: string, accountId: string): Record<string, string> {
  if (loadTemplate(templatePath).Parameters?.ClusterArns === undefined) return {};
  return { ClusterArns: localClusterArns(['sessions'], region, accountId).join(',') };
}

/** The ARNs of clusters of the local cloud (the twin's), by name. */
export function localClusterArns(names: string[], region = 'us-east-1', accountId = LOCAL_ACCOUNT_ID): string[] {
  return names.map((name) => `arn:aws:ecs:${region}:${accountId}:cluster/${name}`);
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const templatePath = options.templatePath ?? TEMPLATE_PATH;
  const rootDir = dirname(templatePath);
  const logDir = options.logDir ?? join(rootDir, '.local-cloud', 'logs');
  mkdirSync(logDir, { recursive: true });
  const region = options.region ?? 'us-east-1';
  // The account of the samples in events/ (and of AWS's documentation examples), so they act on the local stack as is.
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const problems: string[] = [];
  const stoppers: Array<() => Promise<void> | void> = [];
  const stopStarted = async () => {
    for (const stop of stoppers.splice(0).reverse()) {
      try {
        await stop();
      } catch {
        // keep stopping the rest
      }
    }
  };

  let resolveHost!: (host: FunctionHost) => void;
  let rejectHost!: (error: unknown) => void;
  const hostReady = new Promise<FunctionHost>((resolve, reject) => {
    resolveHost = resolve;
    rejectHost = reject;
  });
  hostReady.catch(() => undefined);
  let deployed: { stack: LocalStack; at: Date } | undefined;
  const lambda: LambdaRoute = {
    invoke: async (name, event, invokeOptions) => (await hostReady).invoke(name, event, invokeOptions),
    // Lambda's reads of the stack's functions (moto's Lambda holds none of them): `aws lambda list-functions`, `get-function`.
    control: async (url) => {
      if (!isLambdaControlRequest('GET', url)) return undefined;
      await hostReady;
      return deployed === undefined ? undefined : lambdaControlResponse(deployed.stack, deployed.at, url);
    },
  };

  try {
    const motoPort = options.motoPort ?? (await freeServerPort());
    const plumbing = { endpoint: `http://127.0.0.1:${motoPort}`, region, credentials: CREDENTIALS };
    const sqs = new SQSClient(plumbing);
    const eventBridge = new EventBridgeClient(plumbing);
    const streamsClient = new DynamoDBStreamsClient(plumbing);
    stoppers.push(() => {
      for (const client of [sqs, eventBridge, streamsClient]) client.destroy();
    });
    const enforceIam = (options.iam ?? (process.env.LOCAL_CLOUD_IAM === 'off' ? 'off' : 'enforce')) === 'enforce';
    // The stack's rules (SAM's, from function events) and, when enforced, its roles come from it.
    const translation = translateTemplate(templatePath, region);
    translation.catch(() => undefined);
    const authorizer = enforceIam ? new IamAuthorizer(LocalIam.scope({ region, accountId })) : undefined;
    const gateway = await Gateway.start({ motoEndpoint: plumbing.endpoint, functions: lambda, ...definedOnly({ ecs: options.ecs, elb: options.elb, autoscaling: options.autoscaling, port: options.gatewayPort, faults: options.faults, authorizer }) });
    stoppers.push(() => gateway.close());
    // moto answers every request, its own Step Functions calls included, as this one account.
    const moto = await startMoto({ port: motoPort, serviceCallPort: gateway.port, logFile: join(logDir, 'moto.log'), env: { MOTO_ACCOUNT_ID: accountId, ...(enforceIam ? motoIamEnvironment(templatePath, options.stackName ?? 'ecs-session-drain') : {}) } });
    stoppers.push(() => moto.stop());
    await enableStateMachineExecution(moto.endpoint);

    const stack = await deployLocalStack({
      endpoint: gateway.url,
      region,
      templatePath,
      accountId,
      translation,
      parameters: { ...localClusters(templatePath, region, accountId), ...options.parameters },
      ...definedOnly({ stackName: options.stackName }),
    });
    deployed = { stack, at: new Date() };
    const iam = authorizer ? await LocalIam.deploy({ stack, templatePath, motoEndpoint: moto.endpoint, authorizer, translation }) : undefined;
    const functions = await FunctionHost.start({
      stack,
      endpoint: gateway.url,
      sqsEndpoint: moto.endpoint,
      rootDir,
      logDir,
      ...definedOnly({
        buildDir: options.buildDir,
        echoLogs: options.echoLogs,
        maxWorkersPerFunction: options.maxWorkersPerFunction,
        asyncRetryDelaysMs: options.asyncRetryDelaysMs,
        asyncTimeFactor: options.timeFactor,
        faults: options.faults,
        environmentOverrides: iam?.functionEnvironments(),
      }),
    });
    options.faults?.connect((workerTag) => functions.crashWorker(workerTag));
    stoppers.push(() => functions.stop());
    resolveHost(functions);
    // Created before the triggers, as CloudFormation orders them (DependsOn); a Create that is not
    // answered SUCCESS fails the start, as it fails a deployment.
    const customResources = await CustomResourceLifecycle.create(stack.customResources, stack.stackId, {
      invoke: async (functionArn, request) => void (await functions.invoke(functionArn, request, { invocationType: 'Event' })),
      timeoutSecondsOf: (functionArn) => Object.values(stack.functions).find((spec) => spec.arn === functionArn)?.timeoutSeconds,
    });
    stoppers.push(() => customResources.close());
    const onProblem = (message: string) => {
      problems.push(message);
      if (problems.length > 1000) problems.shift();
      functions.logs.line('local-cloud', JSON.stringify({ time: new Date().toISOString(), level: 'WARN', message }));
    };
    const sources = await startEventSources({
      stack,
      functions,
      clients: { sqs, eventBridge, streams: streamsClient },
      onProblem,
      ...definedOnly({
        schedulePeriodFactor: options.schedulePeriodFactor,
        schedulePeriodMs: options.schedulePeriodMs,
        startSchedules: options.startSchedules,
        run: options.eventSources,
        deliveryRetryDelayMs: options.deliveryRetryDelayMs,
        streamRetryDelayMs: options.streamRetryDelayMs,
        timeFactor: options.timeFactor,
      }),
    });
    // Event sources stop first (without waiting for a batch being invoked), so nothing new is
    // invoked while the workers end.
    stoppers.push(() => void sources.stop());
    await iam?.enforce();

    let stopping: Promise<void> | undefined;
    let deletion: Promise<CustomResourceAnswer[]> | undefined;
    const deleteStack = () => {
      deletion ??= (async () => {
        await sources.stop();
        return customResources.delete();
      })();
      return deletion;
    };
    const cloud: LocalCloud & { killNow(): void } = {
      endpoint: gateway.url,
      motoEndpoint: moto.endpoint,
      moto: { pid: moto.pid, port: moto.port },
      stack,
      functions,
      gateway,
      delivery: sources.delivery,
      streams: sources.streams,
      scheduler: sources.scheduler,
      logDir,
      clientConfig: { endpoint: gateway.url, region, credentials: { ...CREDENTIALS } },
      iam,
      problems,
      publish: (event, busName) => sources.delivery.publish(event, busName),
      invoke: (logicalId, payload, invocationType = 'RequestResponse') => {
        const spec = stack.functions[logicalId];
        if (spec === undefined) return Promise.reject(new FunctionNotFoundError(logicalId));
        return functions.invoke(spec.arn, payload, { invocationType });
      },
      deleteStack,
      stop: () => {
        stopping ??= (async () => {
          const deleted = await (deletion ?? Promise.resolve([])).then(
            () => undefined,
            (error: unknown) => error,
          );
          await stopStarted();
          await sources.stop();
          untrack(cloud);
          if (deleted !== undefined) throw deleted;
        })();
        return stopping;
      },
      killNow: () => moto.kill(),
    };
    track(cloud);
    return cloud;
  } catch (error) {
    rejectHost(error);
    await stopStarted();
    throw error;
  }
}
