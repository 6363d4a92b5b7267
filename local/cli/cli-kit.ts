/** What every local-cloud command shares: clean shutdown on Ctrl-C and one readable failure line. */

// The AWS SDK warns, in six lines on every command, that its releases after January 2027 need
// Node 22. README "Quick start" says which Node the project supports, and the local cloud says
// once when the functions run on an older Node than their runtime (lambda/node-version.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
