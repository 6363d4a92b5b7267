#!/usr/bin/env node
/*
 * Builds agent/dist (the published package: ES modules and .d.ts) unless it is already as new as
 * agent/src. Every consumer in this repository resolves @ecs-session-drain/agent through the
 * package's exports, that is through dist: the root's `prepare` (npm ci), `npm run build`, the
 * vitest projects' global setup and the local CLIs run this first, so nothing runs against a
 * stale or missing dist. Plain Node, no dependency: it also runs where dev dependencies are absent
 * (sam build's `npm install --production` in its scratch copy, which holds the dist built here).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const AGENT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(AGENT, 'src');
const DIST = join(AGENT, 'dist');
const INPUTS = [join(AGENT, 'tsconfig.json'), join(AGENT, 'package.json')];

function filesUnder(folder, keep = () => true) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(folder, entry.name), keep) : keep(entry.name) ? [join(folder, entry.name)] : [],
  );
}

const sourcesUnder = (folder) => filesUnder(folder, (name) => name.endsWith('.ts'));

/** The first reason dist does not match src, or undefined when every source has both outputs, newer than every input. */
function staleness() {
  const sources = sourcesUnder(SRC);
  const newestInput = Math.max(...[...sources, ...INPUTS].map((file) => statSync(file).mtimeMs));
  for (const source of sources) {
    const stem = join(DIST, relative(SRC, source)).replace(/\.ts$/, '');
    for (const output of [`${stem}.js`, `${stem}.d.ts`]) {
      if (!existsSync(output)) return `${relative(AGENT, output)} is missing`;
      if (statSync(output).mtimeMs < newestInput) return `${relative(AGENT, output)} is older than the sources`;
    }
  }
  return undefined;
}

const reason = staleness();
if (reason === undefined) process.exit(0);

let tsc;
try {
  tsc = createRequire(join(AGENT, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  console.error(`agent/dist needs a build (${reason}) and TypeScript is not installed: run npm ci at the repository root.`);
  process.exit(1);
}
console.error(`building agent/dist (${reason})`);
// Built aside, then moved in file by file (a rename each): a test run or a CLI reading dist
// meanwhile never finds a file missing. Outputs of a removed source are deleted last.
const staging = mkdtempSync(join(AGENT, '.dist-'));
let status = 1;
try {
  status = spawnSync(process.execPath, [tsc, '-p', join(AGENT, 'tsconfig.json'), '--outDir', staging], { stdio: 'inherit' }).status ?? 1;
  if (status === 0) {
    const outputs = new Set(filesUnder(staging).map((file) => relative(staging, file)));
    for (const output of outputs) {
      mkdirSync(dirname(join(DIST, output)), { recursive: true });
      renameSync(join(staging, output), join(DIST, output));
    }
    for (const file of filesUnder(DIST)) if (!outputs.has(relative(DIST, file))) rmSync(file);
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
process.exit(status);
