import { autoScaling, ddb, ecs, elb, eventBridge, sfn } from './clients.js';
import { loadConfig } from './config.js';
import type { Deps } from './deps.js';
import { logger, metrics } from './powertools.js';

let cached: Deps | undefined;

/** The production dependencies, built on first use so that importing a handler has no side effects. */
export function runtimeDeps(): Deps {
  cached ??= { ecs, ddb, sfn, eventBridge, elb, autoScaling, logger, metrics, config: loadConfig(), now: () => new Date() };
  return cached;
}
