import type { AgentLogger } from './logger.js';
import { isPermanentRegistryError, registerTask, type RegistryWriter, type TaskRegistration } from './registry.js';
import { retry, type Backoff } from './retry.js';
import type { TaskIdentity } from './types.js';
import { definedOnly } from './optional.js';

export interface RegistrarDeps {
  writer: RegistryWriter;
  task: TaskIdentity;
  /** Runs one registry call within the agent's time budget. */
  bounded: <T>(operation: string, call: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  /** Ends the background retries. */
  signal: AbortSignal;
  logger: AgentLogger;
  onRegistryError: (operation: string, error: unknown) => void;
  /** Registration wrote heartbeatAt. */
  onRegistered: () => void;
  backoff?: Backoff;
}

export function registrationOf(task: TaskIdentity): TaskRegistration {
  const { taskArn, clusterArn, serviceName, taskDefinitionArn, capacityProviderName } = task;
  return {
    taskArn,
    clusterArn,
    ...definedOnly({ serviceName, taskDefinitionArn, capacityProviderName }),
  };
}

/**
 * Keeps the task item registered: one bounded attempt at start (the caller waits for it, never
 * longer), then retries with backoff in the background until it lands. The only refusal that ends
 * the retries is a STOPPED item: the orchestrator already considers this task gone.
 */
export class Registrar {
  private done = false;
  private running = false;

  constructor(private readonly deps: RegistrarDeps) {}

  get registered(): boolean {
    return this.done;
  }

  /** The first attempt; on failure the retries go on in the background. Never rejects. */
  async start(): Promise<void> {
    try {
      await this.attempt();
      this.succeeded(1);
    } catch (error) {
      this.deps.onRegistryError('register task', error);
      if (isPermanentRegistryError(error)) this.refused();
      else void this.ensure();
    }
  }

  /** The item vanished (a heartbeat found it gone): register again. */
  lost(): void {
    this.done = false;
    void this.ensure();
  }

  private async ensure(): Promise<void> {
    if (this.running || this.done) return;
    this.running = true;
    const outcome = await retry(() => this.attempt(), {
      ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}),
      signal: this.deps.signal,
      isPermanent: isPermanentRegistryError,
      onFailure: (error) => this.deps.onRegistryError('register task', error),
    });
    this.running = false;
    if (outcome.ok) this.succeeded(outcome.attempts);
    else if (isPermanentRegistryError(outcome.error)) this.refused();
  }

  private attempt(): Promise<void> {
    return this.deps.bounded('register task', (signal) => registerTask(this.deps.writer, registrationOf(this.deps.task), { abortSignal: signal }));
  }

  private succeeded(attempts: number): void {
    this.done = true;
    this.deps.onRegistered();
    this.deps.logger.info('task registered', { attempts });
  }

  private refused(): void {
    this.deps.logger.error('the registry refused to register this task: its item is STOPPED', { taskArn: this.deps.task.taskArn });
  }
}
