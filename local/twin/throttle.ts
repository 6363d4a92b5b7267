import { serverException, throttled } from './errors.js';
import type { IdSource, ThrottlingOptions } from './model.js';

/**
 * ECS throttles per account, Region and API action with a token bucket (a burst, refilled at a
 * sustained rate): https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
 * Buckets run on real time, because that is what the callers' retry back-off runs on.
 */
export class ApiThrottle {
  private options: ThrottlingOptions | undefined;
  private readonly buckets = new Map<string, { tokens: number; refilledAt: number }>();
  readonly calls: Record<string, number> = {};
  readonly throttled: Record<string, number> = {};
  readonly serverErrors: Record<string, number> = {};

  constructor(
    private readonly random: IdSource,
    options?: ThrottlingOptions,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.configure(options);
  }

  configure(options: ThrottlingOptions | undefined): void {
    if (options !== undefined) {
      if (!(options.ratePerSecond >= 0) || !(options.burst >= 1)) throw new RangeError('throttling needs ratePerSecond >= 0 and burst >= 1');
      if (options.errorRate !== undefined && !(options.errorRate >= 0 && options.errorRate <= 1)) {
        throw new RangeError('errorRate must be between 0 and 1');
      }
    }
    this.options = options;
    // New limits start with full buckets, as after a quiet period.
    this.buckets.clear();
  }

  /** Counts the call; throws ThrottlingException or an injected ServerException when it is refused. */
  admit(operation: string): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    const options = this.options;
    if (options === undefined) return;
    if (!this.take(operation, options)) {
      this.throttled[operation] = (this.throttled[operation] ?? 0) + 1;
      throw throttled();
    }
    if (options.errorRate !== undefined && options.errorRate > 0 && this.random.next() < options.errorRate) {
      this.serverErrors[operation] = (this.serverErrors[operation] ?? 0) + 1;
      throw serverException();
    }
  }

  private take(operation: string, options: ThrottlingOptions): boolean {
    const now = this.now();
    const bucket = this.buckets.get(operation) ?? { tokens: options.burst, refilledAt: now };
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * options.ratePerSecond);
    bucket.refilledAt = now;
    this.buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
