import { afterEach, describe, expect, it, vi } from 'vitest';

type Clients = typeof import('../../../functions/shared/clients.js');

/** Each SDK client the functions use, by name, with whether X-Ray's middleware is on its stack. */
function traced(clients: Clients): Record<string, boolean> {
  const { ecs, ddb, sfn, eventBridge, elb, autoScaling } = clients;
  return Object.fromEntries(
    Object.entries({ ecs, ddb, sfn, eventBridge, elb, autoScaling }).map(([name, client]) => [
      name,
      client.middlewareStack.identify().some((entry) => entry.startsWith('XRaySDKInstrumentation')),
    ]),
  );
}

/**
 * clients.ts and powertools.ts evaluated afresh, as in a new execution environment, under the
 * given variables; the tracer as 'none' (not even loaded), 'off' or 'on'.
 */
async function freshClients(env: Record<string, string | undefined>): Promise<{ clients: Clients; tracer: 'none' | 'off' | 'on' }> {
  for (const name of ['AWS_EXECUTION_ENV', 'POWERTOOLS_TRACE_ENABLED', 'AWS_SAM_LOCAL']) vi.stubEnv(name, env[name]);
  vi.resetModules();
  const clients = (await import('../../../functions/shared/clients.js')) as Clients;
  const { tracer } = await import('../../../functions/shared/powertools.js');
  return { clients, tracer: tracer === undefined ? 'none' : tracer.isTracingEnabled() ? 'on' : 'off' };
}

const UNTRACED = { ecs: false, ddb: false, sfn: false, eventBridge: false, elb: false, autoScaling: false };
const LAMBDA = 'AWS_Lambda_nodejs22.x';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('tracing of the SDK clients', () => {
  it('is absent outside Lambda (tests, tools): no tracer, and the clients are left as they are', async () => {
    const { clients, tracer } = await freshClients({});

    expect(tracer).toBe('none');
    expect(traced(clients)).toEqual(UNTRACED);
  });

  it('is on in Lambda: every client sends its calls through X-Ray', async () => {
    const { clients, tracer } = await freshClients({ AWS_EXECUTION_ENV: LAMBDA });

    expect(tracer).toBe('on');
    expect(traced(clients)).toEqual({ ecs: true, ddb: true, sfn: true, eventBridge: true, elb: true, autoScaling: true });
  });

  it('is absent in the local cloud, whose functions have a Lambda environment with POWERTOOLS_TRACE_ENABLED=false', async () => {
    const { clients, tracer } = await freshClients({ AWS_EXECUTION_ENV: LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' });

    expect(tracer).toBe('none');
    expect(traced(clients)).toEqual(UNTRACED);
  });

  it('is off under sam local, where Powertools decides once the tracer is loaded', async () => {
    const { clients, tracer } = await freshClients({ AWS_EXECUTION_ENV: LAMBDA, AWS_SAM_LOCAL: 'true' });

    expect(tracer).toBe('off');
    expect(traced(clients)).toEqual(UNTRACED);
  });
});
