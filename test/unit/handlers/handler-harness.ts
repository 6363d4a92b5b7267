import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { vi } from 'vitest';
import type { Deps } from '../../../functions/shared/deps.js';
import { makeTestDeps } from '../../support/deps.js';

/**
 * makeTestDeps plus spies on the logger and metrics, so that a test can assert which lines were
 * logged and which metrics counted. Publishing is stubbed: EMF output would only clutter the run.
 */
export function handlerTestDeps(options: Parameters<typeof makeTestDeps>[0] = {}) {
  const { deps, mocks } = makeTestDeps(options);
  const spies = {
    warn: vi.spyOn(deps.logger, 'warn'),
    error: vi.spyOn(deps.logger, 'error'),
    info: vi.spyOn(deps.logger, 'info'),
    addMetric: vi.spyOn(deps.metrics, 'addMetric'),
    publish: vi.spyOn(deps.metrics, 'publishStoredMetrics').mockImplementation(function (this: unknown) { return this as never; }),
  };
  return { deps, mocks, spies, getDeps: (): Deps => deps };
}

export type HandlerTestDeps = ReturnType<typeof handlerTestDeps>;

export function sdkCallCount(t: HandlerTestDeps): number {
  return Object.values(t.mocks).reduce((count, mock) => count + mock.calls().length, 0);
}

/** Metric names counted, in order. */
export function countedMetrics(t: HandlerTestDeps): string[] {
  return t.spies.addMetric.mock.calls.map((call) => call[0]);
}

/** The workflow inputs of the drains the handler started, in order. */
export function startedDrainInputs(t: HandlerTestDeps): unknown[] {
  return t.mocks.sfn.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input as string) as unknown);
}
