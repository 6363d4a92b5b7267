import { parseArgs } from 'node:util';

/**
 * The command line of every local command (demo, local, invoke, bench): `--help` prints the
 * options with their defaults; an unknown flag or a bad value prints one line naming the flag,
 * the value and what is allowed, and exits 2, as a Unix command does for a usage error. A stack
 * trace is for the project's bugs, not a person's typo.
 */

/** A flag's value checked and converted; `error` says what is allowed ("a positive number"). */
export type Check<T> = (raw: string) => { value: T } | { error: string };

interface FlagBase {
  description: string;
  short?: string;
}
export interface BooleanFlag extends FlagBase {
  type: 'boolean';
}
export interface ValueFlag<T> extends FlagBase {
  type: 'string';
  /** Shown in --help, e.g. "seconds" or "a,b,c". */
  placeholder: string;
  /** The default as given on the command line; absent: no default (shown as such). */
  default?: string;
  check: Check<T>;
}
export type Flag = BooleanFlag | ValueFlag<unknown>;

export interface CommandSpec<F extends Record<string, Flag>> {
  /** How a person runs it, e.g. "npm run demo --". */
  command: string;
  /** What the positionals are, e.g. "<FunctionLogicalId> <event.json>"; absent: none allowed. */
  positionals?: { usage: string; min: number; max: number };
  summary: string;
  flags: F;
  /** Lines after the options: examples, notes. */
  epilog?: string[];
}

type Values<F extends Record<string, Flag>> = {
  [K in keyof F]: F[K] extends ValueFlag<infer T> ? (F[K]['default'] extends string ? T : T | undefined) : boolean;
};

export type Parsed<F extends Record<string, Flag>> = { values: Values<F>; positionals: string[] };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function helpText<F extends Record<string, Flag>>(spec: CommandSpec<F>): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const left = `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.type === 'string' ? ` <${flag.placeholder}>` : ''}`;
    const fallback = flag.type === 'string' && flag.default !== undefined ? ` (default ${flag.default})` : '';
    return { left, right: `${flag.description}${fallback}` };
  });
  rows.push({ left: '    --help', right: 'print this help and exit' });
  const width = Math.max(...rows.map((row) => row.left.length)) + 2;
  return [
    `usage: ${spec.command}${spec.positionals ? ` ${spec.positionals.usage}` : ''} [options]`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map((row) => `  ${row.left.padEnd(width)}${row.right}`),
    ...(spec.epilog ? ['', ...spec.epilog] : []),
  ].join('\n');
}

/**
 * `--scale -1` would be read by parseArgs as a missing value followed by a flag "-1"; a negative
 * number after a value flag is that flag's value (then refused by its check with a clear line).
 */
function joinNegativeNumbers(argv: string[], flags: Record<string, Flag>): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    const next = argv[index + 1];
    const flag = arg.startsWith('--') ? flags[arg.slice(2)] : undefined;
    if (flag?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else joined.push(arg);
  }
  return joined;
}

/** Parses argv against the spec; throws UsageError (one line) for anything a person mistyped. */
export function parseCommandLine<F extends Record<string, Flag>>(spec: CommandSpec<F>, argv: string[]): Parsed<F> | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinNegativeNumbers(argv, spec.flags),
      allowPositionals: spec.positionals !== undefined,
      strict: true,
      options: Object.fromEntries(Object.entries(spec.flags).map(([name, flag]) => [name, { type: flag.type, ...(flag.short ? { short: flag.short } : {}) }])),
    });
  } catch (error) {
    throw new UsageError(`${firstLine(error)} (see ${spec.command} --help)`, { cause: error });
  }
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    const raw = parsed.values[name];
    if (flag.type === 'boolean') {
      values[name] = raw === true;
      continue;
    }
    const given = typeof raw === 'string' ? raw : flag.default;
    if (given === undefined) continue;
    const checked = flag.check(given);
    if ('error' in checked) throw new UsageError(`--${name}: ${JSON.stringify(given)} is not allowed; expected ${checked.error}`);
    values[name] = checked.value;
  }
  const positionals = parsed.positionals;
  if (spec.positionals && (positionals.length < spec.positionals.min || positionals.length > spec.positionals.max)) {
    throw new UsageError(`expected ${spec.positionals.usage}, got ${positionals.length === 0 ? 'nothing' : positionals.map((value) => JSON.stringify(value)).join(' ')} (see ${spec.command} --help)`);
  }
  return { values: values as Values<F>, positionals };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Node adds advice on positionals after an unknown option's name; --help says what a person needs.
  return (message.split('\n')[0] ?? message).replace(/^(Unknown option '[^']+')\..*$/, '$1').replace(/\.$/, '');
}

/**
 * parseCommandLine for a main module: prints help (exit 0) or the usage error (exit 2) and ends
 * the process there, so that nothing starts on a mistyped command.
 */
export function commandLine<F extends Record<string, Flag>>(spec: CommandSpec<F>, argv = process.argv.slice(2)): Parsed<F> {
  try {
    const parsed = parseCommandLine(spec, argv);
    if (parsed === 'help') {
      console.log(helpText(spec));
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${spec.command.replace(/ --$/, '')}: ${error.message}`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------- checks

export const positiveNumber: Check<number> = (raw) => {
  const value = Number(raw);
  return raw.trim() !== '' && Number.isFinite(value) && value > 0 ? { value } : { error: 'a positive number' };
};

export function numberAtMost(max: number): Check<number> {
  return (raw) => {
    const checked = positiveNumber(raw);
    if ('error' in checked || checked.value <= max) return checked;
    return { error: `a positive number up to ${max}` };
  };
}

export const wholeNumber: Check<number> = (raw) => (/^\d+$/.test(raw.trim()) ? { value: Number(raw) } : { error: 'a whole number (0, 1, 2, ...)' });

export const positiveWholeNumber: Check<number> = (raw) => (/^\d+$/.test(raw.trim()) && Number(raw) > 0 ? { value: Number(raw) } : { error: 'a whole number greater than 0' });

export const anyText: Check<string> = (raw) => (raw === '' ? { error: 'a non-empty value' } : { value: raw });

/** A comma-separated list whose every item passes `item`; `expected` says what is allowed. */
export function listOf<T>(item: Check<T>, expected: string): Check<T[]> {
  return (raw) => {
    const values: T[] = [];
    for (const part of raw.split(',')) {
      const checked = item(part);
      if ('error' in checked) return { error: expected };
      values.push(checked.value);
    }
    return { value: values };
  };
}

export function oneOf<T extends string>(...allowed: T[]): Check<T> {
  return (raw) => ((allowed as string[]).includes(raw) ? { value: raw as T } : { error: `one of ${allowed.join(', ')}` });
}
