/**
 * The given options only: properties whose value is undefined are left out, so that passing an
 * options object on does not override a callee's defaults with undefined.
 */
export function definedOnly<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
