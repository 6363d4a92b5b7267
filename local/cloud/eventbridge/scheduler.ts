import { randomUUID } from 'node:crypto';
import { UnsupportedTemplateError } from '../errors.js';
import type { EventEnvelope } from './delivery.js';
import type { LocalStack, ScheduleSpec } from '../stack/model.js';
import type { TargetDelivery } from './targets.js';

/**
 * Schedule rules (rate(...)): every period, the "Scheduled Event" EventBridge sends, delivered to
 * the rule's targets like any other event. A scenario runs faster than the template's rate, so the
 * period is scaled (periodFactor) or given outright (periodMs).
 */

export interface SchedulerOptions {
  stack: LocalStack;
  targets: TargetDelivery;
  /** Real period = template period x factor (default 1). */
  periodFactor?: number;
  /** Real period in ms, for every schedule or per rule logical id; wins over periodFactor. */
  periodMs?: number | Record<string, number>;
  onProblem?: (message: string) => void;
}

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Scheduled events sent, by rule logical id. */
  readonly ticks: Record<string, number> = {};

  constructor(private readonly options: SchedulerOptions) {
    for (const logicalId of Object.keys(options.stack.schedules)) this.ticks[logicalId] = 0;
  }

  private schedule(logicalId: string): ScheduleSpec {
    const schedule = this.options.stack.schedules[logicalId];
    if (schedule === undefined) throw new UnsupportedTemplateError(`${logicalId} is not an enabled schedule rule of this stack`);
    return schedule;
  }

  periodMs(logicalId: string): number {
    const schedule = this.schedule(logicalId);
    const { periodMs, periodFactor = 1 } = this.options;
    const given = typeof periodMs === 'number' ? periodMs : periodMs?.[logicalId];
    return Math.max(1, given ?? schedule.periodSeconds * 1000 * periodFactor);
  }

  /** EventBridge's event for a schedule: source aws.events, the rule's ARN as the only resource. */
  scheduledEvent(schedule: ScheduleSpec): EventEnvelope {
    const { stack } = this.options;
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: stack.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: stack.region,
      resources: [schedule.arn],
      detail: {},
    };
  }

  start(): void {
    for (const logicalId of Object.keys(this.options.stack.schedules)) {
      if (this.timers.has(logicalId)) continue;
      const timer = setInterval(() => {
        this.tick(logicalId).catch((error: Error) => this.options.onProblem?.(`schedule ${logicalId}: ${error.message}`));
      }, this.periodMs(logicalId));
      this.timers.set(logicalId, timer);
    }
  }

  /** Sends one scheduled event now; resolves once its targets have it. */
  async tick(logicalId: string): Promise<void> {
    const schedule = this.schedule(logicalId);
    this.ticks[logicalId] = (this.ticks[logicalId] ?? 0) + 1;
    await this.options.targets.deliver(this.scheduledEvent(schedule), schedule.targets, schedule.arn);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
  }
}
