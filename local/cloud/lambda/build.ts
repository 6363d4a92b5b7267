import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildFailure, type BuildOptions } from 'esbuild';
import { BuildError } from '../errors.js';
import type { EsbuildProperties, FunctionSpec } from '../stack/model.js';

/**
 * Bundles functions as `sam build` does with BuildMethod esbuild: the template's BuildProperties,
 * one directory per function. Functions with the same properties share one esbuild run (shared
 * modules are parsed once). A bundle whose inputs have not changed since it was written is kept,
 * and outputs are written through a rename, so that concurrent local clouds sharing a build
 * directory never read a half-written bundle.
 */

export interface Bundle {
  logicalId: string;
  dir: string;
  /** The file Handler names, e.g. <dir>/reconciler.mjs. */
  file: string;
}

interface Manifest {
  options: string;
  inputs: Record<string, string>;
}

const WORKER_SOURCE = fileURLToPath(new URL('./worker.ts', import.meta.url));

function fingerprint(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function upToDate(manifestPath: string, outputs: string[], optionsKey: string, rootDir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (manifest.options !== optionsKey) return false;
    if (outputs.some((output) => fingerprint(output) === 'missing')) return false;
    return Object.entries(manifest.inputs).every(([input, print]) => fingerprint(join(rootDir, input)) === print);
  } catch {
    return false;
  }
}

function writeAtomically(path: string, contents: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function outputName(entryPoint: string, properties: EsbuildProperties): string {
  const extension = properties.outExtension['.js'] ?? '.js';
  return `${basename(entryPoint, extname(entryPoint))}${extension}`;
}

function esbuildOptions(properties: EsbuildProperties): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: properties.format,
    outExtension: properties.outExtension,
    target: properties.target,
    sourcemap: properties.sourcemap,
    minify: properties.minify,
    banner: properties.banner,
    external: properties.external,
    logLevel: 'silent',
  };
}

interface Job {
  key: string;
  options: BuildOptions;
  entries: Array<{ id: string; entryPoint: string; dir: string; file: string }>;
}

async function runJob(job: Job, rootDir: string, buildDir: string): Promise<void> {
  const fresh = job.entries.every((entry) => upToDate(join(entry.dir, '.build.json'), [entry.file], job.key, rootDir));
  if (fresh) return;
  let result;
  try {
    result = await build({
      ...job.options,
      absWorkingDir: rootDir,
      entryPoints: job.entries.map((entry) => ({ in: entry.entryPoint, out: join(relative(buildDir, entry.dir), basename(entry.file, extname(entry.file))) })),
      outdir: buildDir,
      write: false,
      metafile: true,
    });
  } catch (error) {
    const messages = ((error as BuildFailure).errors ?? []).map((message) => `${message.location?.file ?? ''}:${message.location?.line ?? ''} ${message.text}`);
    throw new BuildError(`esbuild failed for ${job.entries.map((entry) => entry.id).join(', ')}: ${messages.join('; ') || (error as Error).message}`, { cause: error });
  }
  for (const output of result.outputFiles) writeAtomically(output.path, output.contents);
  for (const entry of job.entries) {
    const meta = result.metafile.outputs[relative(rootDir, entry.file)];
    const inputs: Record<string, string> = {};
    for (const input of Object.keys(meta?.inputs ?? {})) inputs[input] = fingerprint(join(rootDir, input));
    writeAtomically(join(entry.dir, '.build.json'), JSON.stringify({ options: job.key, inputs } satisfies Manifest));
  }
}

/** Bundles every function into <buildDir>/<LogicalId>/ and returns where each bundle is. */
export async function buildFunctions(specs: FunctionSpec[], rootDir: string, buildDir: string): Promise<Record<string, Bundle>> {
  const jobs = new Map<string, Job>();
  const bundles: Record<string, Bundle> = {};
  for (const spec of specs) {
    const options = esbuildOptions(spec.build);
    const key = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 16);
    const dir = join(buildDir, spec.logicalId);
    const file = join(dir, outputName(spec.entryPoint, spec.build));
    if (basename(file, extname(file)) !== spec.handlerFile) {
      throw new BuildError(`${spec.logicalId}: Handler ${spec.handlerFile}.${spec.handlerExport} names no file the build writes (${basename(file)})`);
    }
    const job = jobs.get(key) ?? { key, options, entries: [] };
    job.entries.push({ id: spec.logicalId, entryPoint: spec.entryPoint, dir, file });
    jobs.set(key, job);
    bundles[spec.logicalId] = { logicalId: spec.logicalId, dir, file };
  }
  await Promise.all([...jobs.values()].map((job) => runJob(job, rootDir, buildDir)));
  return bundles;
}

/** The worker entry (worker.ts) as an ES module Worker can load. */
export async function buildWorkerEntry(buildDir: string): Promise<string> {
  const rootDir = dirname(WORKER_SOURCE);
  const dir = join(buildDir, '_worker');
  const file = join(dir, 'function-worker.mjs');
  const options: BuildOptions = { bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: 'inline', logLevel: 'silent' };
  const key = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 16);
  await runJob({ key, options: { ...options, outExtension: { '.js': '.mjs' } }, entries: [{ id: 'function-worker', entryPoint: basename(WORKER_SOURCE), dir, file }] }, rootDir, buildDir);
  return file;
}
