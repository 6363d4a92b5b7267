import type { TestProject } from 'vitest/node';
import { startMotoServer } from './moto-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** One moto server for the whole integration run; each test file creates uniquely named resources. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMotoServer();
  project.provide('motoEndpoint', moto.endpoint);
  return moto.stop;
}
