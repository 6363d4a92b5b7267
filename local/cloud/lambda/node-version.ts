/**
 * Lambda runs each function on its template runtime (nodejs22.x); the local cloud runs them on
 * this machine's Node. Where that Node is older, say so once per process, in one line: a
 * difference a rehearsal cannot show, not something to repeat on every invocation.
 */
let warned = false;

/** The line to print, or undefined when this Node is at least every function's runtime. */
export function olderNodeWarning(runtimes: readonly string[], nodeVersion = process.versions.node): string | undefined {
  const majors = runtimes.map((runtime) => /^nodejs(\d+)\.x$/.exec(runtime)?.[1]).filter((major): major is string => major !== undefined).map(Number);
  const wanted = Math.max(...majors);
  const running = Number(nodeVersion.split('.')[0]);
  if (majors.length === 0 || running >= wanted) return undefined;
  return `note: the functions declare nodejs${wanted}.x; the local cloud runs them on this machine's Node ${nodeVersion} (Node ${wanted} rehearses Lambda more closely)`;
}

export function warnOnceAboutOlderNode(runtimes: readonly string[], write: (line: string) => void = (line) => console.warn(line)): void {
  if (warned) return;
  const warning = olderNodeWarning(runtimes);
  if (warning === undefined) return;
  warned = true;
  write(warning);
}
