import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const AGENT_DIR = join(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Application teams install agent/ as a package: it must build alone and import nothing outside itself. */
describe('The agent as a package', () => {
  it('imports only node built-ins, the DynamoDB SDK clients and its own modules', () => {
    const sources = readdirSync(join(AGENT_DIR, 'src')).filter((file) => file.endsWith('.ts'));
    const foreign = sources.flatMap((file) =>
      [...readFileSync(join(AGENT_DIR, 'src', file), 'utf8').matchAll(/from '([^']+)'/g)]
        .map((match) => match[1]!)
        .filter((specifier) => !specifier.startsWith('./') && !specifier.startsWith('node:') && !['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'].includes(specifier))
        .map((specifier) => `${file}: ${specifier}`),
    );

    expect(foreign).toEqual([]);
  });

  it('builds on its own with its tsconfig, declarations included', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'agent-dist-'));
    try {
      await run(process.execPath, [join(AGENT_DIR, '../node_modules/typescript/bin/tsc'), '-p', join(AGENT_DIR, 'tsconfig.json'), '--outDir', outDir]);

      expect(existsSync(join(outDir, 'index.js'))).toBe(true);
      expect(existsSync(join(outDir, 'index.d.ts'))).toBe(true);
      expect(existsSync(join(outDir, 'registry.js'))).toBe(true);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});
