/**
 * The given options only: properties whose value is undefined are left out, so that passing an
 * options object on does not override a callee's defaults with undefined. (The orchestrator has
 * its own copy in functions/shared/optional.ts: the agent is a package of its own and imports
 * nothing of the orchestrator.)
 */
export function definedOnly<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
