import { describe, expect, it } from 'vitest';
import { npmRun } from '../support/npm-run.js';

/**
 * What a person sees when they ask a command for help or mistype it: help with the options and
 * their defaults (exit 0), or one line naming the flag, the value and what is allowed (exit 2);
 * never a stack trace, and nothing started.
 */
const NUMERIC_FLAGS: Record<string, string[]> = {
  demo: ['--scale', '--seed'],
  local: ['--scale', '--service', '--sessions'],
  bench: ['--seed', '--scale', '--tasks'],
  invoke: [],
};

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe.concurrent.each(Object.keys(NUMERIC_FLAGS))('npm run %s', (script) => {
  it('prints its options and their defaults for --help', async () => {
    const run = await npmRun(script, ['--help']);

    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^usage: npm run ${script} --`));
    expect(run.stdout).toMatch(/\n {2}(-\w, | {4})--help\s+print this help and exit/);
  });

  it('refuses an unknown flag in one line with exit code 2', async () => {
    const run = await npmRun(script, ['--no-such-flag']);

    expect(run.code, run.output).toBe(2);
    expect(run.output.trim().split('\n')).toEqual([`npm run ${script}: Unknown option '--no-such-flag' (see npm run ${script} -- --help)`]);
  });

  it.each([...(NUMERIC_FLAGS[script] ?? []).flatMap((flag) => [[flag, 'abc'], [flag, '-1']])])('refuses %s %s in one line with exit code 2', async (flag, value) => {
    const run = await npmRun(script, [flag, value]);

    expect(run.code, run.output).toBe(2);
    expect(run.output.trim().split('\n')).toHaveLength(1);
    expect(run.output).toMatch(new RegExp(`^npm run ${script}: ${flag}: "${value}" is not allowed; expected `));
    expect(run.output).not.toMatch(STACK_FRAME);
  });
});
