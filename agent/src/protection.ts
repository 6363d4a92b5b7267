import { ProtectionCallError } from './errors.js';
import type { AgentLogger } from './logger.js';
import { backoffDelay, DEFAULT_BACKOFF, unrefTimer, withTimeout, type Backoff } from './retry.js';
import { definedOnly } from './optional.js';

export interface ProtectionDeps {
  /** ECS_AGENT_URI, a base URL. */
  agentUri: string;
  fetch: typeof fetch;
  /** ExpiresInMinutes of every protecting call (1..2880). */
  minutes: number;
  /** When to renew a protection that is still wanted; default half the protection window. */
  renewAfterMs?: number;
  timeoutMs: number;
  backoff?: Backoff;
  logger: AgentLogger;
  onError?: (error: unknown) => void;
}

/**
 * Agent-mode scale-in protection through the ECS agent endpoint
 * (`PUT ${ECS_AGENT_URI}/task-protection/v1/state`): protected while the process holds sessions,
 * renewed before it lapses, released when the count returns to zero. Only ever one call in flight;
 * after each call the wanted state is compared again, so a count that flips meanwhile is honoured.
 * Failures are logged and retried with backoff, never thrown.
 */
export class ProtectionKeeper {
  private wanted = false;
  /** What the endpoint last confirmed. The task starts unprotected. */
  private confirmed = false;
  private renewAt = 0;
  private busy = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private disabled = false;
  private readonly url: string;

  constructor(private readonly deps: ProtectionDeps) {
    this.url = `${deps.agentUri.replace(/\/+$/, '')}/task-protection/v1/state`;
  }

  get protected(): boolean {
    return this.confirmed;
  }

  /** The process now holds this many sessions. */
  update(sessionCount: number): void {
    this.wanted = sessionCount > 0;
    void this.sync();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.renewTimer);
  }

  private get renewAfterMs(): number {
    return this.deps.renewAfterMs ?? (this.deps.minutes * 60_000) / 2;
  }

  private async sync(): Promise<void> {
    // A pending retry owns the next call: updates meanwhile must not bypass its backoff.
    if (this.busy || this.stopped || this.disabled || this.retryTimer !== undefined) return;
    const renewing = this.wanted && this.confirmed && Date.now() >= this.renewAt;
    if (this.wanted === this.confirmed && !renewing) {
      // A timer can fire a millisecond before Date.now() reaches renewAt: arm it again for the rest,
      // or the renewals would stop and the protection lapse while sessions are held.
      if (this.wanted) this.armRenewal(this.renewAt - Date.now());
      return;
    }
    const enable = this.wanted;
    this.busy = true;
    try {
      await this.put(enable);
      this.confirmed = enable;
      this.failures = 0;
      clearTimeout(this.renewTimer);
      if (enable) {
        this.renewAt = Date.now() + this.renewAfterMs;
        this.armRenewal(this.renewAfterMs);
      }
      this.deps.logger.info(enable ? 'scale-in protection set' : 'scale-in protection released', enable ? { expiresInMinutes: this.deps.minutes } : {});
    } catch (error) {
      this.failures += 1;
      this.deps.onError?.(error);
      if (error instanceof ProtectionCallError && error.reason === 'TASK_NOT_VALID') {
        // ECS protects service tasks only; a standalone task can never be protected.
        this.disabled = true;
        this.deps.logger.error('scale-in protection is not available for this task (not part of a service); giving up', { error });
        return;
      }
      const delay = backoffDelay(this.deps.backoff ?? DEFAULT_BACKOFF, this.failures);
      this.deps.logger.warn(`${enable ? 'setting' : 'releasing'} scale-in protection failed; retrying`, { error, retryInMs: delay, attempt: this.failures });
      this.retryTimer = unrefTimer(() => {
        this.retryTimer = undefined;
        void this.sync();
      }, delay);
      return;
    } finally {
      this.busy = false;
    }
    void this.sync();
  }

  private armRenewal(inMs: number): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = unrefTimer(() => void this.sync(), Math.max(1, inMs));
  }

  private async put(enable: boolean): Promise<void> {
    const body = enable ? { ProtectionEnabled: true, ExpiresInMinutes: this.deps.minutes } : { ProtectionEnabled: false };
    await withTimeout(`PUT ${this.url}`, this.deps.timeoutMs, async (signal) => {
      const response = await this.deps.fetch(this.url, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      const text = await response.text();
      let parsed: { failure?: { Reason?: string; Detail?: string | null }; error?: { Code?: string; Message?: string } } = {};
      try {
        parsed = text === '' ? {} : (JSON.parse(text) as typeof parsed);
      } catch {
        // A body that is not JSON is judged by the status alone.
      }
      // The endpoint answers {protection} on success, {failure} when ECS refused, {error} on errors.
      if (parsed.failure !== undefined) {
        throw new ProtectionCallError(`ECS refused task protection: ${parsed.failure.Reason ?? 'unknown reason'} ${parsed.failure.Detail ?? ''}`.trim(), {
          ...definedOnly({ reason: parsed.failure.Reason }),
        });
      }
      if (!response.ok || parsed.error !== undefined) {
        throw new ProtectionCallError(`task protection endpoint answered ${response.status}${parsed.error ? `: ${parsed.error.Code ?? ''} ${parsed.error.Message ?? ''}` : ''}`.trim());
      }
    });
  }
}
