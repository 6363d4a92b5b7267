/**
 * Local clouds still running when the process ends take their child processes with them: on
 * SIGINT / SIGTERM they are stopped (then the signal does what it would have done), and on exit
 * whatever is left is killed synchronously. The listeners are installed while a cloud runs and
 * removed when the last one stops, so a finished cloud leaves the process's signal handling as it
 * found it.
 */

export interface Cleanable {
  stop(): Promise<void>;
  /** Synchronous: kill child processes now (there is no later in an exit handler). */
  killNow(): void;
}

const live = new Set<Cleanable>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let exitInstalled = false;
let signalsInstalled = false;

function onExit(): void {
  for (const cloud of live) cloud.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  const clouds = [...live];
  removeSignalListeners();
  // Another listener (a CLI's own) decides how the process ends; without one, the signal does.
  const othersListen = process.listenerCount(signal) > 0;
  const grace = new Promise((resolve) => setTimeout(resolve, 5000).unref());
  void Promise.race([Promise.allSettled(clouds.map((cloud) => cloud.stop())), grace]).then(() => {
    if (!othersListen) process.kill(process.pid, signal);
  });
}

function removeSignalListeners(): void {
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  signalsInstalled = false;
}

export function track(cloud: Cleanable): void {
  live.add(cloud);
  if (!exitInstalled) process.on('exit', onExit);
  if (!signalsInstalled) for (const signal of SIGNALS) process.on(signal, onSignal);
  exitInstalled = true;
  signalsInstalled = true;
}

export function untrack(cloud: Cleanable): void {
  live.delete(cloud);
  if (live.size > 0) return;
  if (exitInstalled) process.removeListener('exit', onExit);
  exitInstalled = false;
  removeSignalListeners();
}

/** Clouds still running in this process (for tests of the cleanup itself). */
export function liveClouds(): number {
  return live.size;
}
