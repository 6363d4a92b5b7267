import type { EventBridgeEnvelope, TwinChange } from './model.js';

/**
 * Where the twin's news goes: EventBridge events to `emit` (possibly async, never awaited by the
 * twin, as ECS does not wait for EventBridge), changes to listeners, faults to `onError`.
 */
export class Outbox {
  private readonly listeners = new Set<(change: TwinChange) => void>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly deliver: (event: EventBridgeEnvelope) => void | Promise<void>,
    private readonly onError?: (error: unknown, where: string) => void,
  ) {}

  emit(event: EventBridgeEnvelope): void {
    const where = `emit ${event['detail-type']}`;
    try {
      const delivery = Promise.resolve(this.deliver(event)).catch((error: unknown) => this.reportError(error, where));
      this.pending.add(delivery);
      void delivery.finally(() => this.pending.delete(delivery));
    } catch (error) {
      this.reportError(error, where);
    }
  }

  notify(change: TwinChange): void {
    for (const listener of this.listeners) this.guarded('change listener', () => listener(change));
  }

  onChange(listener: (change: TwinChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every event handed over so far has been delivered (or has failed). */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  guarded(where: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.reportError(error, where);
    }
  }

  reportError(error: unknown, where: string): void {
    if (this.onError !== undefined) this.onError(error, where);
    else console.error(`[ecs-twin] ${where}:`, error);
  }
}
