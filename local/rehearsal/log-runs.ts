import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Each rehearsal writes its functions' logs to a folder of its own under .local-cloud/logs
 * (named by start time, so names sort by age). An afternoon of runs left 83 MB there: keep the
 * newest `keep` folders and remove the older ones. A folder written to in the last `busyMs` is
 * never removed, whatever its rank: a long run beside many short ones (parallel test files) is
 * still writing to it.
 */
export function pruneLogRuns(root: string, options: { keep: number; busyMs: number; now?: number }): string[] {
  const now = options.now ?? Date.now();
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.sort().reverse().slice(options.keep)) {
    const dir = join(root, name);
    try {
      if (now - lastWrite(dir) < options.busyMs) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another process removed it first, or it is being written: leave it.
    }
  }
  return removed;
}

function lastWrite(dir: string): number {
  let latest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir)) latest = Math.max(latest, statSync(join(dir, entry)).mtimeMs);
  return latest;
}
