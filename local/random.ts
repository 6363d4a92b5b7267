/**
 * Seeded randomness for the local cloud: the same seed gives the same arrivals, durations, task
 * ids and injected errors, so a scenario that drops a session can be replayed exactly.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1): mulberry32, small and good enough for simulation. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Exponential with the given mean: the gap between Poisson arrivals. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median; sigma sets how heavy the tail is (1.0: some last 10x the median). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A fresh hex id of the given length, from this sequence. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  /** A decimal number of the given length without a leading zero (deployment ids, ...). */
  digits(length: number): string {
    let out = String(1 + Math.floor(this.next() * 9));
    while (out.length < length) out += Math.floor(this.next() * 10).toString();
    return out;
  }
}

/** How long sessions last, in scenario seconds. */
export interface DurationModel {
  /** Median session length. */
  medianSeconds: number;
  /** Log-normal shape: 0 gives every session the median; 1.2 gives some sessions many hours. */
  sigma: number;
  /** Lengths are cut to this, so one freak session cannot hold a scenario forever. */
  maxSeconds?: number;
}

/**
 * Arrivals per scenario minute that keep about `sessions` open at once (Little's law, with the
 * log-normal's mean, median x e^(sigma^2/2); the cut at maxSeconds is ignored).
 */
export function arrivalsPerMinuteFor(sessions: number, model: DurationModel): number {
  const meanSeconds = model.medianSeconds * Math.exp((model.sigma * model.sigma) / 2);
  return (sessions / meanSeconds) * 60;
}

export function sessionDuration(random: SeededRandom, model: DurationModel): number {
  const value = model.sigma === 0 ? model.medianSeconds : random.logNormal(model.medianSeconds, model.sigma);
  return Math.max(1, Math.min(value, model.maxSeconds ?? Number.POSITIVE_INFINITY));
}
