import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The layout of functions/ as rules a test can hold: functions/core is a few folders ("rooms"), each
 * for one part of the orchestrator, each opening with a comment that says what it holds and what it
 * may import; and no file imports itself back through others.
 */

const FUNCTIONS = fileURLToPath(new URL('../../functions/', import.meta.url));
const CORE = join(FUNCTIONS, 'core');
const MAX_CORE_TOP_LEVEL_FILES = 16;

function entries(folder: string): { files: string[]; folders: string[] } {
  const names = readdirSync(folder);
  return {
    files: names.filter((name) => statSync(join(folder, name)).isFile()),
    folders: names.filter((name) => statSync(join(folder, name)).isDirectory()),
  };
}

function foldersUnder(folder: string): string[] {
  return [folder, ...entries(folder).folders.flatMap((name) => foldersUnder(join(folder, name)))];
}

function tsFilesUnder(folder: string): string[] {
  return foldersUnder(folder).flatMap((each) => entries(each).files.filter((name) => name.endsWith('.ts')).map((name) => join(each, name)));
}

/** Relative import and export specifiers (static, side-effect and dynamic), resolved to the .ts files they name. */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/\b(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) =>
    resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts')),
  );
}

/** The files on a cycle of imports, each cycle once as found by a depth-first walk; empty when there is none. */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      const at = path.indexOf(target);
      if (at >= 0) cycles.push([...path.slice(at), target]);
      else if (!done.has(target) && graph.has(target)) visit(target);
    }
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return cycles;
}

/** The name a file shares with its siblings: everything before the first '-' (the whole name without one). */
function prefixOf(file: string): string {
  return (file.split('-')[0] as string).replace(/\.[^.]*$/, '');
}

/** A room's rule: the rooms named after "may import", up to the end of that clause. */
function allowedRooms(opening: string): string[] {
  const clause = /may import ([\s\S]*?)(?:;|\.\s|\.$)/i.exec(opening)?.[1] ?? '';
  return [...clause.matchAll(/\b([a-z][a-z-]*)\//g)].map((match) => match[1] as string);
}

/** A room named in a rule: a folder of functions/core if there is one, else a folder of functions/. */
function roomPath(name: string): string {
  const inCore = join(CORE, name);
  return foldersUnder(CORE).includes(inCore) ? inCore : join(FUNCTIONS, name);
}

function openingComment(file: string): string {
  const match = /^\/\*+([\s\S]*?)\*\//.exec(readFileSync(file, 'utf8'));
  return (match?.[1] ?? '').replace(/\n\s*\*\s?/g, ' ').trim();
}

const show = (file: string) => relative(FUNCTIONS, file);

describe('the layout of functions/', () => {
  it(`keeps functions/core/ to at most ${MAX_CORE_TOP_LEVEL_FILES} files at its top level`, () => {
    expect(entries(CORE).files.length).toBeLessThanOrEqual(MAX_CORE_TOP_LEVEL_FILES);
  });

  it('has no folder under functions/core with three or more files sharing a name prefix (they want a folder of their own)', () => {
    const crowded: string[] = [];
    for (const folder of foldersUnder(CORE)) {
      const byPrefix = new Map<string, string[]>();
      for (const file of entries(folder).files) byPrefix.set(prefixOf(file), [...(byPrefix.get(prefixOf(file)) ?? []), file]);
      for (const [prefix, files] of byPrefix) if (files.length >= 3) crowded.push(`${show(folder)}: ${prefix}- (${files.join(', ')})`);
    }
    expect(crowded).toEqual([]);
  });

  it('has no import cycle among the files under functions/', () => {
    const files = tsFilesUnder(FUNCTIONS);
    const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => target.startsWith(FUNCTIONS))]));

    expect(importCycles(graph).map((cycle) => cycle.map(show).join(' -> '))).toEqual([]);
  });

  it('finds a cycle where there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);

    expect(importCycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('opens every folder of functions/core with its rule, and each folder imports only the rooms its rule names', () => {
    const broken: string[] = [];
    for (const folder of foldersUnder(CORE).filter((each) => each !== CORE)) {
      const name = relative(CORE, folder);
      const files = entries(folder).files.filter((file) => file.endsWith('.ts')).map((file) => join(folder, file));
      const rule = files.map(openingComment).find((opening) => opening.startsWith(`${name}/:`));
      if (rule === undefined) {
        broken.push(`${name}/: no file opens with "/* ${name}/: what it holds; may import ... */"`);
        continue;
      }
      const allowed = new Set([folder, ...allowedRooms(rule).map(roomPath)]);
      // A room outside functions/core (registry/) comes with its own folders (registry/tasks/).
      const within = (target: string) =>
        allowed.has(dirname(target)) || [...allowed].some((room) => !room.startsWith(CORE) && dirname(target).startsWith(room + sep));
      for (const file of files) {
        for (const target of importsOf(file)) {
          if (target.startsWith(FUNCTIONS) && !within(target)) broken.push(`${show(file)} imports ${show(target)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('leaves the registry\'s writes to functions/registry: no file under functions/core holds an UpdateExpression', () => {
    const writers = tsFilesUnder(CORE).filter((file) => readFileSync(file, 'utf8').includes('UpdateExpression'));

    expect(writers.map(show)).toEqual([]);
  });

  it('keeps functions/registry free of imports from functions/core', () => {
    const REGISTRY = join(FUNCTIONS, 'registry');
    const inward = tsFilesUnder(REGISTRY).flatMap((file) => importsOf(file).filter((target) => target.startsWith(CORE + sep)).map((target) => `${show(file)} imports ${show(target)}`));

    expect(inward).toEqual([]);
  });
});

/*
 * The repository's packages (package.json workspaces): agent/ (@ecs-session-drain/agent) and local/
 * (@ecs-session-drain/local). Their files are theirs: others import each package by name, through
 * its exports, and the product and its unit tests import nothing of the local cloud at all.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every module specifier of a source (static, side-effect, dynamic and re-exports), as written. */
function specifiersOf(source: string): string[] {
  return [...source.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1] as string);
}

/** What `file` (a path from the repository root) imports that its place forbids, one line each. */
function packageBreaches(file: string, source: string): string[] {
  const breaches: string[] = [];
  for (const specifier of specifiersOf(source)) {
    const target = specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), specifier)).split(sep).join('/') : undefined;
    const reaches = (folder: string) => target !== undefined && (target === folder || target.startsWith(`${folder}/`));
    if (!file.startsWith('agent/') && reaches('agent/src')) breaches.push(`${file} imports ${specifier}: outside agent/, import @ecs-session-drain/agent`);
    if (!file.startsWith('local/') && reaches('local')) breaches.push(`${file} imports ${specifier}: outside local/, import @ecs-session-drain/local`);
    const productOrUnit = file.startsWith('functions/') || file.startsWith('test/unit/');
    if (productOrUnit && (specifier === '@ecs-session-drain/local' || specifier.startsWith('@ecs-session-drain/local/'))) {
      breaches.push(`${file} imports ${specifier}: the product and its unit tests do not use the local cloud`);
    }
  }
  return breaches;
}

describe('the packages of the repository', () => {
  it('finds each kind of breach in a made-up file', () => {
    const source = [
      "import { readTask } from '../../agent/src/registry.js';",
      "import { Rehearsal } from '../../local/rehearsal/rehearsal.js';",
      "const { startLocalCloud } = await import('@ecs-session-drain/local');",
      "import { taskKey } from '@ecs-session-drain/agent/registry-contract';",
    ].join('\n');

    const breaches = packageBreaches('test/unit/made-up.test.ts', source);

    expect(breaches).toEqual([
      "test/unit/made-up.test.ts imports ../../agent/src/registry.js: outside agent/, import @ecs-session-drain/agent",
      "test/unit/made-up.test.ts imports ../../local/rehearsal/rehearsal.js: outside local/, import @ecs-session-drain/local",
      'test/unit/made-up.test.ts imports @ecs-session-drain/local: the product and its unit tests do not use the local cloud',
    ]);
  });

  it('lets no file outside agent/ or local/ import their files by path, and nothing under functions/ or test/unit import the local cloud', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.ts', '*.mts', '*.mjs', '*.js'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      // This file's made-up breaches above are strings, not imports.
      .filter((file) => file !== '' && file !== 'test/unit/layout.test.ts' && existsSync(join(ROOT, file)));

    const breaches = files.flatMap((file) => packageBreaches(file, readFileSync(join(ROOT, file), 'utf8')));

    expect(breaches).toEqual([]);
  });
});
