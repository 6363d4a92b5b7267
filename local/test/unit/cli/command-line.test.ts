import { describe, expect, it } from 'vitest';
import {
  type CommandSpec,
  type Flag,
  helpText,
  listOf,
  numberAtMost,
  parseCommandLine,
  positiveWholeNumber,
  UsageError,
  wholeNumber,
} from '../../../cli/command-line.js';

const DEMO = {
  command: 'npm run demo --',
  summary: 'A demo.',
  flags: {
    scale: { type: 'string', placeholder: 'seconds', check: numberAtMost(1), description: 'real seconds per scenario second' },
    seed: { type: 'string', placeholder: 'n', default: '7', check: wholeNumber, description: 'seed' },
    tasks: { type: 'string', placeholder: 'n,n', default: '5', check: listOf(positiveWholeNumber, 'a comma-separated list of whole numbers greater than 0'), description: 'sizes' },
    processes: { type: 'boolean', short: 'p', description: 'real processes' },
  },
} satisfies CommandSpec<Record<string, Flag>>;

function usageError(argv: string[]): string {
  try {
    parseCommandLine(DEMO, argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('a local command line', () => {
  it('gives the defaults, converted, when nothing is given', () => {
    expect(parseCommandLine(DEMO, [])).toEqual({ values: { seed: 7, tasks: [5], processes: false }, positionals: [] });
  });

  it('converts given values, a negative number after a value flag included', () => {
    expect(parseCommandLine(DEMO, ['--scale', '0.5', '--seed=3', '-p', '--tasks', '1,2'])).toEqual({ values: { scale: 0.5, seed: 3, tasks: [1, 2], processes: true }, positionals: [] });
    expect(usageError(['--scale', '-1'])).toBe('--scale: "-1" is not allowed; expected a positive number');
  });

  it('names the flag, the value and what is allowed for every bad value', () => {
    expect(usageError(['--scale', 'abc'])).toBe('--scale: "abc" is not allowed; expected a positive number');
    expect(usageError(['--scale', '2'])).toBe('--scale: "2" is not allowed; expected a positive number up to 1');
    expect(usageError(['--seed', 'abc'])).toBe('--seed: "abc" is not allowed; expected a whole number (0, 1, 2, ...)');
    expect(usageError(['--tasks', '5,x'])).toBe('--tasks: "5,x" is not allowed; expected a comma-separated list of whole numbers greater than 0');
  });

  it('refuses an unknown flag, a missing value and a positional in one line pointing at --help', () => {
    expect(usageError(['--nope'])).toBe("Unknown option '--nope' (see npm run demo -- --help)");
    expect(usageError(['--seed'])).toMatch(/^Option '--seed <value>' argument missing \(see npm run demo -- --help\)$/);
    expect(usageError(['extra'])).toMatch(/^Unexpected argument 'extra'.*\(see npm run demo -- --help\)$/);
    for (const argv of [['--nope'], ['--seed'], ['extra'], ['--scale', 'abc']]) expect(usageError(argv)).not.toContain('\n');
  });

  it('answers help for --help or -h, whatever else is on the line', () => {
    expect(parseCommandLine(DEMO, ['--help'])).toBe('help');
    expect(parseCommandLine(DEMO, ['--scale', 'abc', '-h'])).toBe('help');
  });

  it('lists every flag with its placeholder and default in the help', () => {
    const help = helpText(DEMO);

    expect(help.split('\n')[0]).toBe('usage: npm run demo -- [options]');
    expect(help).toMatch(/--scale <seconds>\s+real seconds per scenario second\n/);
    expect(help).toMatch(/--seed <n>\s+seed \(default 7\)/);
    expect(help).toMatch(/-p, --processes\s+real processes/);
    expect(help).toMatch(/--help\s+print this help and exit/);
  });

  it('holds positionals to their count', () => {
    const invoke = { command: 'npm run invoke --', summary: 'Invoke.', positionals: { usage: '<FunctionLogicalId> <event.json>', min: 2, max: 2 }, flags: {} };

    expect(parseCommandLine(invoke, ['Fn', 'events/a.json'])).toEqual({ values: {}, positionals: ['Fn', 'events/a.json'] });
    expect(() => parseCommandLine(invoke, ['Fn'])).toThrow('expected <FunctionLogicalId> <event.json>, got "Fn" (see npm run invoke -- --help)');
  });
});

describe('a command line with positionals', () => {
  it("refuses an unknown flag in the same one line, without Node's advice on positionals", () => {
    const invoke = { command: 'npm run invoke --', summary: 'Invoke.', positionals: { usage: '<a> <b>', min: 2, max: 2 }, flags: {} };

    expect(() => parseCommandLine(invoke, ['--nope'])).toThrow(new UsageError("Unknown option '--nope' (see npm run invoke -- --help)"));
  });
});
