/*
 * What `sam deploy` would hand CloudFormation: local/sam_translate.py runs the SAM translator on
 * the template, and its output (roles, rules, permissions, which function and state machine each
 * belongs to) is what the stack deploys and iam/ enforces. Cached by content.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonCommand } from '../moto.js';
import { NamedError } from '../errors.js';

export const SAM_TRANSLATE = fileURLToPath(new URL('../../sam_translate.py', import.meta.url));

/** What local/sam_translate.py prints. */
export interface SamTranslation {
  roles: Record<string, Record<string, unknown>>;
  functions: Record<string, string | null>;
  stateMachines: Record<string, string | null>;
  /** AWS::Events::Rule properties, those SAM generates from function events included. */
  rules: Record<string, Record<string, unknown>>;
  /** AWS::Lambda::Permission properties (those of the rules above included). */
  permissions: Record<string, Record<string, unknown>>;
}

export class SamTranslationError extends NamedError {
  override readonly name = 'SamTranslationError';
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', (error) => reject(new SamTranslationError(`could not run ${command}: ${error.message}; install cfn-lint with: pip install cfn-lint`, { cause: error })));
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new SamTranslationError(`${command} ${args.join(' ')} failed (${code}): ${err.trim()}`))));
  });
}

/**
 * Runs the SAM translator on a template (about a second), cached by the template's and the
 * script's content under <template dir>/.local-cloud/sam.
 */
export async function translateTemplate(templatePath: string, region: string): Promise<SamTranslation> {
  const text = readFileSync(templatePath, 'utf8');
  const key = createHash('sha256').update(text).update(readFileSync(SAM_TRANSLATE)).update(region).digest('hex').slice(0, 16);
  const cacheFile = join(dirname(templatePath), '.local-cloud', 'sam', `${key}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as SamTranslation;
  } catch {
    // not translated yet
  }
  const output = await run(pythonCommand(), [SAM_TRANSLATE, templatePath, region]);
  const translation = JSON.parse(output) as SamTranslation;
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, output);
  return translation;
}

