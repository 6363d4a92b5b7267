import { freePort, MotoUnavailableError, startMoto } from '@ecs-session-drain/local';

/**
 * The moto server tests use: the local cloud's own launcher (local/cloud/moto.ts), so tests and
 * the local cloud run moto the same way. A missing moto is an error with install instructions,
 * never a silent skip.
 */
export { freePort, MotoUnavailableError };

export interface MotoServer {
  endpoint: string;
  port: number;
  stop: () => Promise<void>;
}

export async function startMotoServer(options: { env?: Record<string, string> } = {}): Promise<MotoServer> {
  const { MOTO_PORT, ...env } = options.env ?? {};
  const moto = await startMoto({ env, ...(MOTO_PORT === undefined ? {} : { serviceCallPort: Number(MOTO_PORT) }) });
  return { endpoint: moto.endpoint, port: moto.port, stop: () => moto.stop() };
}
