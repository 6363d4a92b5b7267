import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * local/cloud's layout: each family of files has its own folder, the top level stays short, no
 * module imports itself through others, and each folder imports only what the opening comment of
 * its principal module says (stack/stack.ts, iam/iam.ts, lambda/host.ts, eventbridge/delivery.ts,
 * dynamodb-streams/poller.ts). Type-only imports count: they tie modules together as much.
 */

const CLOUD = fileURLToPath(new URL('../../../cloud/', import.meta.url));

/** What each folder may import outside itself: folders by name, top-level files by file name. */
const ALLOWED: Record<string, string[]> = {
  stack: ['errors.ts', 'moto.ts'],
  lambda: ['stack', 'errors.ts'],
  eventbridge: ['lambda', 'stack', 'errors.ts', 'timing.ts'],
  'dynamodb-streams': ['lambda', 'stack', 'errors.ts', 'timing.ts'],
  iam: ['stack', 'gateway.ts', 'moto.ts', 'errors.ts'],
};

/** Paths below `dir`, '/'-separated, files only. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

/** Groups of three or more files in one folder whose names share the part before the first '-'. */
function crowdedPrefixes(paths: string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const path of paths) {
    const key = `${posix.dirname(path)}/${posix.basename(path).replace(/\.[^.]*$/, '').split('-')[0]}`;
    groups.set(key, [...(groups.get(key) ?? []), path]);
  }
  return [...groups.values()].filter((group) => group.length >= 3);
}

/** Every import of each TypeScript file below local/cloud that stays inside it, as paths relative to it. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of filesBelow(CLOUD).filter((path) => path.endsWith('.ts'))) {
    const specifiers = ts.preProcessFile(readFileSync(join(CLOUD, file), 'utf8'), true, true).importedFiles.map((ref) => ref.fileName);
    const targets = specifiers.filter((specifier) => specifier.startsWith('.')).map((specifier) => posix.normalize(posix.join(posix.dirname(file), specifier.replace(/\.js$/, '.ts'))));
    graph.set(file, targets);
  }
  return graph;
}

/** The import cycles of a graph, each as the path that closes it (a -> b -> a). */
function importCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Imports from a folder to outside it that ALLOWED does not list (or from a folder it has no entry for). */
function forbiddenImports(graph: Map<string, string[]>): string[] {
  const forbidden: string[] = [];
  for (const [file, targets] of graph) {
    if (!file.includes('/')) continue;
    const folder = file.split('/')[0] as string;
    for (const target of targets) {
      const where = target.split('/')[0] as string;
      if (where !== folder && !(ALLOWED[folder] ?? []).includes(where)) forbidden.push(`${file} -> ${target}`);
    }
  }
  return forbidden;
}

describe('the layout checks', () => {
  it('find a crowded prefix, a cycle and an import a folder may not make', () => {
    expect(crowdedPrefixes(['iam.ts', 'iam-policy.ts', 'iam-roles.ts', 'gateway.ts', 'x/iam-client.ts'])).toEqual([['iam.ts', 'iam-policy.ts', 'iam-roles.ts']]);
    const circle = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(importCycles(circle)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(importCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []], ['c.ts', ['a.ts', 'b.ts']]]))).toEqual([]);
    expect(forbiddenImports(new Map([['stack/stack.ts', ['stack/model.ts', 'errors.ts', 'lambda/host.ts']], ['gateway.ts', ['lambda/host.ts']]]))).toEqual(['stack/stack.ts -> lambda/host.ts']);
  });
});

describe('local/cloud', () => {
  const files = filesBelow(CLOUD);

  it('keeps at most 14 files at its top level (folders do not count)', () => {
    expect(files.filter((path) => !path.includes('/')).length).toBeLessThanOrEqual(14);
  });

  it('has no folder holding three or more files that share a name prefix', () => {
    expect(crowdedPrefixes(files)).toEqual([]);
  });

  it('has no import cycles', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(20);
    expect(importCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('has a rule for each folder, and each folder imports only what its rule allows', () => {
    const folders = new Set(files.filter((path) => path.includes('/')).map((path) => path.split('/')[0]));
    expect([...folders].sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(forbiddenImports(importGraph())).toEqual([]);
  });
});
