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
    const sources = (readdirSync(join(AGENT_DIR, 'src'), { recursive: true }) as string[]).filter((file) => file.endsWith('.ts'));
    const foreign = sources.flatMap((file) =>
      [...readFileSync(join(AGENT_DIR, 'src', file), 'utf8').matchAll(/from '([^']+)'/g)]
        .map((match) => match[1]!)
        // A module in a folder (sidecar/) may import the package's own modules one level up, no further.
        .filter((specifier) => !specifier.startsWith('./') && !(file.includes('/') && /^\.\.\/[^.]/.test(specifier)) && !specifier.startsWith('node:') && !['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'].includes(specifier))
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
      expect(existsSync(join(outDir, 'sidecar/main.js'))).toBe(true);
      expect(readFileSync(join(outDir, 'sidecar/main.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('packs the compiled library and its bin with types and README, and neither sources nor tests', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: AGENT_DIR });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path);

    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/sidecar/main.js', 'dist/sidecar/index.d.ts']));
    expect(files.filter((file) => !file.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(file))).toEqual([]);
  }, 60_000);

  it('names the sidecar as its bin and exports it, both inside dist', () => {
    const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'package.json'), 'utf8')) as { bin: Record<string, string>; exports: Record<string, { import: string; types: string }>; files: string[] };

    expect(manifest.bin).toEqual({ 'ecs-session-sidecar': './dist/sidecar/main.js' });
    expect(manifest.exports['./sidecar']).toEqual({ types: './dist/sidecar/index.d.ts', import: './dist/sidecar/index.js' });
    expect(manifest.files).toContain('dist');
  });

  it('builds an image that runs the bin as a non-root user on a distroless base, with the probe as its health check', () => {
    const dockerfile = readFileSync(join(AGENT_DIR, 'Dockerfile'), 'utf8');
    const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)?.[1] ?? '[]') as string[];

    // No container engine runs in CI: the image's command is the bin the conformance suite runs as a process.
    expect(stages.at(-1)).toMatch(/^gcr\.io\/distroless\/nodejs\d+-debian\d+:nonroot$/);
    expect(dockerfile).toMatch(/^USER nonroot$/m);
    expect(cmd).toEqual([join('/app', manifest.bin['ecs-session-sidecar']!)]);
    expect(dockerfile).toContain('"/app/dist/sidecar/main.js", "probe"');
  });
});
