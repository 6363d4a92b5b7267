/**
 * Scenario time for the local cloud. A scenario is written in the seconds a real service lives
 * through (a 40-minute session, a 120 s stopTimeout); `scale` says how many real seconds one of
 * them lasts, so that hours of sessions run in seconds and every timeout keeps its proportion.
 */
export class ScaledClock {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** @param scale real seconds per scenario second, e.g. 0.01: one scenario second lasts 10 ms. */
  constructor(readonly scale: number = 1) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`clock scale must be a positive number, got ${scale}`);
  }

  /** Real milliseconds that the given scenario seconds last. */
  ms(scenarioSeconds: number): number {
    return Math.max(0, scenarioSeconds * 1000 * this.scale);
  }

  /** Scenario seconds that the given real milliseconds amount to. */
  scenarioSeconds(realMs: number): number {
    return realMs / 1000 / this.scale;
  }

  /** The real wall clock: registry timestamps and AWS calls always use real time. */
  now(): Date {
    return new Date();
  }

  /** Runs fn after the given scenario seconds; returns a function that cancels it. */
  after(scenarioSeconds: number, fn: () => void): () => void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.ms(scenarioSeconds));
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Runs fn every given scenario seconds until cancelled. */
  every(scenarioSeconds: number, fn: () => void): () => void {
    const timer = setInterval(fn, Math.max(1, this.ms(scenarioSeconds)));
    this.timers.add(timer);
    return () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
  }

  sleep(scenarioSeconds: number): Promise<void> {
    return new Promise((resolve) => this.after(scenarioSeconds, resolve));
  }

  /** Cancels every timer this clock still holds, so that a stopped scenario leaves nothing behind. */
  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
