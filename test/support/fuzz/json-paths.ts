/**
 * Paths into JSON-like values, and edits at a path on a value the caller owns (a fresh clone per
 * run). Keys are read with Object.keys, so an own "__proto__" key is a key like any other.
 */
export type Path = readonly (string | number)[];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every node below the root, parents before children. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [];
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((child, index) => [index, child])
    : isRecord(value)
      ? Object.keys(value).map((key) => [key, value[key]])
      : [];
  for (const [key, child] of children) {
    const path = [...prefix, key];
    paths.push(path, ...pathsOf(child, path));
  }
  return paths;
}

export function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isRecord(node)) node = Object.prototype.hasOwnProperty.call(node, key) ? node[key as string] : undefined;
    else return undefined;
  }
  return node;
}

/** Defines (not assigns) the key, so that "__proto__" becomes an own property as JSON.parse makes it. */
export function defineOwn(target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Replaces the node at path; returns the new root (the value itself for the empty path). */
export function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1] as string | number;
  if (Array.isArray(parent) && typeof key === 'number') parent[key] = value;
  else if (isRecord(parent)) defineOwn(parent, key, value);
  return root;
}

/** Removes the node at path (an array element is spliced out); returns the new root. */
export function deleteAt(root: unknown, path: Path): unknown {
  if (path.length === 0) return undefined;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1] as string | number;
  if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
  else if (isRecord(parent)) delete parent[key as string];
  return root;
}

/** True when `path` is `other` or lies below it. */
export function isWithin(path: Path, other: Path): boolean {
  return other.length <= path.length && other.every((key, index) => path[index] === key);
}

export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
