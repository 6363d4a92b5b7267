import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const AGENT_DIR = join(import.meta.dirname, '../..');

/** A copy of the agent package (sources, tsconfig, package.json, the script) that resolves the repository's TypeScript. */
function agentCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'agent-build-'));
  const agent = join(root, 'agent');
  for (const entry of ['src', 'scripts', 'tsconfig.json', 'package.json']) cpSync(join(AGENT_DIR, entry), join(agent, entry), { recursive: true });
  symlinkSync(join(AGENT_DIR, '../node_modules'), join(root, 'node_modules'));
  return root;
}

function buildDist(agent: string): { status: number | null; said: string } {
  const run = spawnSync(process.execPath, [join(agent, 'scripts/build-dist.mjs')], { encoding: 'utf8' });
  return { status: run.status, said: run.stderr };
}

describe('agent/scripts/build-dist.mjs', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  it('builds a missing dist, leaves a current one alone, and rebuilds after an edit without the outputs of a removed source', () => {
    root = agentCopy();
    const agent = join(root, 'agent');
    writeFileSync(join(agent, 'src/extra.ts'), 'export const extra = 1;\n');

    const first = buildDist(agent);
    const second = buildDist(agent);
    rmSync(join(agent, 'src/extra.ts'));
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(agent, 'src/index.ts'), later, later);
    const third = buildDist(agent);

    expect(first.status).toBe(0);
    expect(first.said).toMatch(/^building agent\/dist \(dist\/[\w-]+\.(js|d\.ts) is missing\)\n$/);
    expect(second).toEqual({ status: 0, said: '' });
    expect(third.status).toBe(0);
    expect(third.said).toMatch(/^building agent\/dist \(dist\/[\w-]+\.(js|d\.ts) is older than the sources\)\n$/);
    expect(existsSync(join(agent, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(agent, 'dist/index.d.ts'))).toBe(true);
    expect(existsSync(join(agent, 'dist/extra.js'))).toBe(false);
  }, 120_000);
});
