import type { IncomingHttpHeaders } from 'node:http';
import { callerTag, type InvocationType } from './invocation.js';

/**
 * Handler invocations that fail mid-way, for fault tests. Each execution environment (worker)
 * runs with AWS_SDK_UA_APP_ID=<LogicalId>.<n>, which the AWS SDK puts in every request's
 * User-Agent as app/<id>, so the gateway knows which worker, and through the function host which
 * invocation, sent each request to moto or the ECS twin. A plan lets the chosen invocation's first
 * successful write through, then kills its worker before the answer reaches it: the write is
 * committed, nothing after it happens, and the invocation fails as Lambda reports a crashed
 * runtime (Runtime.ExitError). Lambda's async retries, the stream mapping's retries, the
 * workflow's Retry and the reconciler then have to recover, as they would on AWS.
 */

export interface InvocationInfo {
  logicalId: string;
  requestId: string;
  invocationType: InvocationType;
  /** 1 for the first run of an event, 2 for its first retry, ... */
  attempt: number;
  event: unknown;
}

export interface FaultPlan {
  /** Logical id of the function whose invocations fail. */
  function: string;
  /** Which invocations fail (default: every one); tried in the order they start. */
  matches?: (invocation: InvocationInfo) => boolean;
  /** How many matching invocations fail (default 1). */
  times?: number;
  /** The only failure point so far: right after the invocation's first successful write. */
  after: 'first-write';
}

export interface FiredFault {
  invocation: InvocationInfo;
  /** The write that went through before the crash, as `<service>.<Operation>`. */
  write: string;
  /** Epoch ms of the crash. */
  at: number;
}

export interface ArmedFault {
  readonly plan: FaultPlan;
  readonly fired: readonly FiredFault[];
  /** Resolves with the first crash this plan caused. */
  whenFired(): Promise<FiredFault>;
  disarm(): void;
}

/** What the function host reports to, and what it is asked to do: the worker side of the injector. */
export interface InvocationFaults {
  started(workerTag: string, invocation: InvocationInfo): void;
  /** The invocation's requestId: the worker may already run the next invocation when this one is reported finished. */
  finished(workerTag: string, requestId: string): void;
}

/** The gateway side: a hook per request, answering with what to do once the request was answered. */
export interface RequestFaults {
  /**
   * Called for every request the gateway passes to ECS or moto, with its `<service>.<Operation>`.
   * Returns undefined to leave the request alone, or a callback the gateway runs with the upstream
   * HTTP status once answered: true means the caller was crashed and must not get the answer.
   */
  intercept(headers: IncomingHttpHeaders, operation: string): ((status: number) => Promise<boolean>) | undefined;
}

const WRITE_OPERATION = /^(Put|Update|Delete|TransactWrite|BatchWrite|Start|Stop|Send|Run|Create|Register|Deregister|Submit|Tag|Untag|Publish)/;

/** Whether `<service>.<Operation>` changes state (the operations a fault plan lets through once). */
export function isWrite(operation: string): boolean {
  return WRITE_OPERATION.test(operation.split('.').pop() ?? '');
}

interface PlanState {
  plan: FaultPlan;
  remaining: number;
  reserved: number;
  fired: FiredFault[];
  waiters: Array<(fired: FiredFault) => void>;
  active: boolean;
}

interface Running {
  invocation: InvocationInfo;
  plan?: PlanState;
  fired: boolean;
}

export class FaultInjector implements InvocationFaults, RequestFaults {
  private readonly plans: PlanState[] = [];
  private readonly running = new Map<string, Running>();
  private crashWorker: (workerTag: string) => Promise<void> = async () => undefined;

  /** The local cloud connects the injector to its function host, which can end a worker. */
  connect(crashWorker: (workerTag: string) => Promise<void>): void {
    this.crashWorker = crashWorker;
  }

  arm(plan: FaultPlan): ArmedFault {
    const state: PlanState = { plan, remaining: plan.times ?? 1, reserved: 0, fired: [], waiters: [], active: true };
    this.plans.push(state);
    return {
      plan,
      fired: state.fired,
      whenFired: () => {
        const first = state.fired[0];
        return first === undefined ? new Promise((resolve) => state.waiters.push(resolve)) : Promise.resolve(first);
      },
      disarm: () => {
        state.active = false;
      },
    };
  }

  disarmAll(): void {
    for (const state of this.plans) state.active = false;
  }

  started(tag: string, invocation: InvocationInfo): void {
    const plan = this.plans.find(
      (state) => state.active && state.plan.function === invocation.logicalId && state.remaining - state.reserved > 0 && (state.plan.matches?.(invocation) ?? true),
    );
    if (plan !== undefined) plan.reserved += 1;
    this.running.set(tag, { invocation, fired: false, ...(plan === undefined ? {} : { plan }) });
  }

  finished(tag: string, requestId: string): void {
    const running = this.running.get(tag);
    if (running?.invocation.requestId !== requestId) return;
    this.running.delete(tag);
    // An invocation that wrote nothing gives its turn back to the next matching one.
    if (running?.plan !== undefined && !running.fired) running.plan.reserved -= 1;
  }

  intercept(headers: IncomingHttpHeaders, operation: string): ((status: number) => Promise<boolean>) | undefined {
    const tag = callerTag(headers);
    const running = tag === undefined ? undefined : this.running.get(tag);
    if (tag === undefined || running?.plan === undefined || !isWrite(operation)) return undefined;
    return async (status) => {
      const plan = running.plan;
      // A refused write (throttled, failed condition) changed nothing: wait for one that did.
      if (plan === undefined || running.fired || status < 200 || status >= 300) return false;
      running.fired = true;
      plan.reserved -= 1;
      plan.remaining -= 1;
      const fired: FiredFault = { invocation: running.invocation, write: operation, at: Date.now() };
      plan.fired.push(fired);
      await this.crashWorker(tag);
      for (const resolve of plan.waiters.splice(0)) resolve(fired);
      return true;
    };
  }
}
