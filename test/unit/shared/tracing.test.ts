import { afterEach, describe, expect, it, vi } from 'vitest';

type Clients = typeof import('../../../functions/shared/clients.js');

/** Each SDK client the functions use, by name, with whether X-Ray's middleware is on its stack. */
function traced(clients: Clients): Record<string, boolean> {
  const { ecs, ddb, sfn, eventBridge, elb } = clients;
  return Object.fromEntries(
    Object.entries({ ecs, ddb, sfn, eventBridge, elb }).map(([name, client]) => [
      name,
      client.middlewareStack.identify().some((entry) => entry.startsWith('XRaySDKInstrumentation')),
    ]),
  );
}

/** clients.ts and powertools.ts evaluated afresh, as a new execution environment would, under the given variables. */
async function freshClients(env: Record<string, string | undefined>): Promise<{ clients: Clients; tracingEnabled: boolean }> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const clients = (await import('../../../functions/shared/clients.js')) as Clients;
  const { tracer } = await import('../../../functions/shared/powertools.js');
  return { clients, tracingEnabled: tracer.isTracingEnabled() };
}

const UNTRACED = { ecs: false, ddb: false, sfn: false, eventBridge: false, elb: false };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('tracing of the SDK clients', () => {
  it('is off outside Lambda (tests, tools): the clients are left as they are', async () => {
    const { clients, tracingEnabled } = await freshClients({ AWS_EXECUTION_ENV: undefined, POWERTOOLS_TRACE_ENABLED: undefined, AWS_SAM_LOCAL: undefined });

    expect(tracingEnabled).toBe(false);
    expect(traced(clients)).toEqual(UNTRACED);
  });

  it('is on in Lambda: every client sends its calls through X-Ray', async () => {
    const { clients, tracingEnabled } = await freshClients({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: undefined, AWS_SAM_LOCAL: undefined });

    expect(tracingEnabled).toBe(true);
    expect(traced(clients)).toEqual({ ecs: true, ddb: true, sfn: true, eventBridge: true, elb: true });
  });

  it('is off in the local cloud, whose functions run with a Lambda environment and POWERTOOLS_TRACE_ENABLED=false', async () => {
    const { clients, tracingEnabled } = await freshClients({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false', AWS_SAM_LOCAL: undefined });

    expect(tracingEnabled).toBe(false);
    expect(traced(clients)).toEqual(UNTRACED);
  });
});
