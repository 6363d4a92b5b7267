/** What every local-cloud command shares: clean shutdown on Ctrl-C and one readable failure line. */
export function exitOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping the local cloud...`);
      stop().finally(() => process.exit(130));
    });
  }
}

export function fail(error: unknown): never {
  const err = error as Error;
  console.error(`${err.name ?? 'Error'}: ${err.message ?? String(error)}`);
  if (process.env.DEBUG) console.error(err.stack);
  process.exit(1);
}
