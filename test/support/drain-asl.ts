import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DEFINITION_PATH = fileURLToPath(new URL('../../statemachines/drain.asl.json', import.meta.url));

export const DRAIN_FUNCTIONS = ['RecordDrain', 'LaunchReplacement', 'ArmDrainWait', 'StopDrainedTask', 'ReleaseReplacement'] as const;
export type DrainFunction = (typeof DRAIN_FUNCTIONS)[number];

export function functionArn(name: DrainFunction, region = 'us-east-1', account = '123456789012'): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

/** The drain workflow with its ${...} substitutions filled in, as `sam deploy` would. */
export function drainDefinition(tableName: string): string {
  let text = readFileSync(DEFINITION_PATH, 'utf8');
  for (const name of DRAIN_FUNCTIONS) text = text.replaceAll(`\${${name}FunctionArn}`, functionArn(name));
  text = text.replaceAll('${RegistryTableName}', tableName);
  const leftover = /\$\{[A-Za-z]+\}/.exec(text);
  if (leftover !== null) throw new Error(`unknown substitution ${leftover[0]} in drain.asl.json`);
  return text;
}

export function rawDrainDefinition(): Record<string, unknown> {
  return JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as Record<string, unknown>;
}
