import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The layout sections of the docs name what git holds: every folder and source file of the rooms
 * they describe, and no file that is gone. A move that forgets the docs fails here.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function tracked(prefix: string): string[] {
  return execFileSync('git', ['ls-files', '--', prefix], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((path) => path.endsWith('.ts'));
}

/** The first fenced block after a heading: the tree a layout section draws. */
function layoutBlock(doc: string, heading: string): string {
  const text = readFileSync(`${ROOT}${doc}`, 'utf8');
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`${doc} has no "${heading}" section`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
  if (block?.[1] === undefined) throw new Error(`${doc}'s "${heading}" section draws no tree`);
  return block[1];
}

/** What a layout tree fails to say about the tracked files under `prefix`: names missing from it, and .ts names in it that git does not hold. */
function mismatches(tree: string, prefix: string, options: { describedByRule?: readonly string[] } = {}): { missing: string[]; gone: string[] } {
  const files = tracked(prefix).filter((path) => !(options.describedByRule ?? []).some((folder) => path.startsWith(folder)));
  const words = new Set(tree.match(/[\w.-]+/g) ?? []);
  const folders = [...new Set(files.map((path) => basename(dirname(path))))];
  const missing = [...folders.filter((folder) => !tree.includes(`${folder}/`)), ...files.map((path) => basename(path)).filter((name) => !words.has(name))];
  const known = new Set(tracked('.').map((path) => basename(path)));
  const gone = [...words].filter((word) => word.endsWith('.ts') && !known.has(word));
  return { missing: [...new Set(missing)].sort(), gone: gone.sort() };
}

describe('the docs draw the tree git holds', () => {
  it('finds a file missing from a tree, and a file named in it that is gone', () => {
    const tree = 'core/\n  drain/  start.ts, cancel.ts, vanished.ts\n';

    const found = mismatches(tree, 'functions/core/drain');

    expect(found.missing).toContain('control.ts');
    expect(found.gone).toEqual(['vanished.ts']);
  });

  it("docs/design.md's layout names every folder and file of functions/ (handlers/ and events/ are drawn by their rule)", () => {
    const tree = layoutBlock('docs/design.md', '## Layout');

    expect(mismatches(tree, 'functions', { describedByRule: ['functions/handlers/', 'functions/events/'] })).toEqual({ missing: [], gone: [] });
  });

  it("docs/local-cloud.md's layout names every folder and file of local/cloud", () => {
    const tree = layoutBlock('docs/local-cloud.md', '# Local cloud');

    expect(mismatches(tree, 'local/cloud')).toEqual({ missing: [], gone: [] });
  });
});
