/**
 * The command line's machinery: a verb is one entry of a table (its options, once, with their help), from which
 * node's parseArgs gets its options and `--help` its text. "Did you mean" for verbs and options, colour on a
 * terminal (picocolors: NO_COLOR and FORCE_COLOR honoured), the exit codes, and JSON files read with the line
 * and column of a syntax error.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { suggest } from '../engine/indicator-spec.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's name in the help (e.g. FILE, N). */
  arg?: string;
  help: string;
}

export interface VerbContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  out: (t: string) => void;
  err: (t: string) => void;
}

export interface Verb {
  /** One or two words: "backtest", "strategy new". */
  name: string;
  /** The positional part of the usage line, e.g. "<strategy.json>". */
  args?: string;
  summary: string;
  /** More lines for `--help`. */
  details?: string;
  options: Record<string, OptionSpec>;
  examples: string[];
  /** Returns the exit code. */
  run(c: VerbContext): number | Promise<number>;
}

export const EXIT_CODES: [number, string][] = [
  [0, 'success'],
  [1, 'the work failed: a file that cannot be read or is wrong (the message names file, line and field), a failed run'],
  [2, 'usage: an unknown verb or option, a missing or malformed argument'],
  [130, 'interrupted with Ctrl-C (SIGINT)'],
];

/**
 * Colours on a terminal only: NO_COLOR turns them off, FORCE_COLOR on; otherwise only when stdout is a TTY (not
 * picocolors' own guess, which also colours any output when a CI variable is set — a log file then gets escapes).
 */
const env = process.env;
export const c = pc.createColors(!env.NO_COLOR && (!!env.FORCE_COLOR || (process.stdout.isTTY === true && env.TERM !== 'dumb')));

export class UsageError extends Error {}

const optLabel = (name: string, o: OptionSpec) => `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;

/** A verb's usage line: `Usage: mt5-executor backtest <strategy.json> [options]`. */
export const usageLine = (v: Verb): string => `${c.bold('Usage:')} mt5-executor ${v.name}${v.args ? ` ${v.args}` : ''}${Object.keys(v.options).length ? ' [options]' : ''}`;

/** The line after a usage error: the verb's own help when the verb is known, else the list of verbs. */
export const usageHint = (verb?: Verb | string): string =>
  verb ? `Run 'mt5-executor ${typeof verb === 'string' ? verb : verb.name} --help' for its options and an example.` : "Run 'mt5-executor help' for usage.";

/**
 * A usage error a verb reports itself (exit 2), as main reports the ones it finds: the message, then the line
 * pointing at the verb's `--help` (after `usage`, a usage line, when given). Returns 2.
 */
export function usageFailure(err: (t: string) => void, verb: string, message: string, usage?: string): 2 {
  err(`mt5-executor ${verb}: ${message}\n${usage ? `usage: ${usage}\n` : ''}${usageHint(verb)}\n`);
  return 2;
}

export function verbHelp(v: Verb): string {
  const width = Math.max(12, ...Object.entries(v.options).map(([n, o]) => optLabel(n, o).length));
  const opts = Object.entries(v.options).map(([n, o]) => `  ${c.cyan(optLabel(n, o).padEnd(width))}  ${o.help}${o.multiple ? ' (repeatable)' : ''}`);
  return [
    usageLine(v),
    '',
    v.summary,
    ...(v.details ? ['', v.details] : []),
    '',
    c.bold('Options:'),
    ...opts,
    `  ${c.cyan('-h, --help'.padEnd(width))}  this help`,
    '',
    c.bold(v.examples.length > 1 ? 'Examples:' : 'Example:'),
    ...v.examples.map((e) => `  ${e}`),
    '',
    `Exit codes: ${EXIT_CODES.map(([n, t]) => `${n} ${t.split(':')[0]}`).join(', ')} (mt5-executor help).`,
    '',
  ].join('\n');
}

export function mainHelp(verbs: Verb[], header: string): string {
  const width = Math.max(...verbs.map((v) => v.name.length));
  return [
    header,
    '',
    c.bold('Usage:') + ' mt5-executor <verb> [options]      mt5-executor <verb> --help for its options and an example',
    '',
    c.bold('Verbs:'),
    ...verbs.map((v) => `  ${c.cyan(v.name.padEnd(width))}  ${v.summary.split('\n')[0]}`),
    '',
    c.bold('Exit codes:'),
    ...EXIT_CODES.map(([n, t]) => `  ${String(n).padStart(3)}  ${t}`),
    '',
    'Colour is used on a terminal; NO_COLOR=1 turns it off. Docs: README.md, docs/.',
    '',
  ].join('\n');
}

/**
 * The verb named by the first one or two words, and the rest of the arguments; else what to tell the trader
 * (`message`) and the verb whose help to point at (`near`, when one is meant beyond doubt).
 */
export function findVerb(verbs: Verb[], argv: string[]): { verb: Verb; rest: string[] } | { message: string; near: Verb | undefined } {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = verbs.find((v) => v.name === two);
  if (byTwo) return { verb: byTwo, rest: argv.slice(2) };
  const byOne = verbs.find((v) => v.name === argv[0]);
  if (byOne) return { verb: byOne, rest: argv.slice(1) };
  // a two-word verb's first word alone ("state") or with an unknown second ("strategy nwe"): only that group's verbs are meant
  const group = verbs.filter((v) => v.name.startsWith(`${argv[0]} `));
  if (group.length) {
    const alone = argv.length === 1 || argv[1]!.startsWith('-');
    const meant = alone ? (group.length === 1 ? group[0] : undefined) : group.find((v) => v.name === suggest(two, group.map((g) => g.name)));
    const known = group.map((v) => `'${v.name}'`).join(' or ');
    const word = alone ? argv[0]! : two;
    const what = alone ? `'${word}' needs a subcommand: ${known}` : meant ? `unknown command '${word}' — did you mean '${meant.name}'?` : `unknown command '${word}' (known: ${known})`;
    return { near: meant, message: `${what}${meant ? `\n${usageLine(meant)}` : ''}` };
  }
  const word = argv[0] ?? '';
  const suggestion = suggest(word, verbs.map((v) => v.name));
  return { near: undefined, message: `unknown command '${word}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}` };
}

/** Parse a verb's arguments with its option table; unknown options get a "did you mean". */
export function parseVerbArgs(v: Verb, rest: string[]): { values: VerbContext['values']; positionals: string[] } | 'help' {
  if (rest.includes('--help') || rest.includes('-h')) return 'help';
  const options = Object.fromEntries(Object.entries(v.options).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]));
  let r;
  try {
    r = parseArgs({ args: negativeValues(v, rest), options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const bad = /Unknown option '(--?[^']+)'/.exec(msg)?.[1];
    if (bad) {
      const s = suggest(bad.replace(/^-+/, ''), Object.keys(v.options));
      throw new UsageError(`${v.name}: unknown option ${bad}${s ? ` — did you mean --${s}?` : ''}`);
    }
    throw new UsageError(`${v.name}: ${msg.replace(/\. To specify a positional argument.*$/s, '')}`);
  }
  if (r.positionals.length && !takesArguments(v)) throw new UsageError(extraArguments(v, r.positionals, r.values));
  return { values: r.values as VerbContext['values'], positionals: r.positionals };
}

/** Whether a verb takes arguments besides its options: its usage's `args` without the options named there (ml's `--data <bars.csv>`). */
const takesArguments = (v: Verb): boolean => (v.args ?? '').replace(/--[\w-]+ <[^>]*>/g, '').trim() !== '';

/**
 * Arguments given to a verb that takes none (they would be silently ignored), with the option a file was likely meant
 * for — unless that option is already given (then the hint would only mislead).
 */
function extraArguments(v: Verb, extra: string[], given: Record<string, unknown>): string {
  // a .json named like a model (ml evaluate's model-<strategy>-<version>.json) is the model, not the strategy
  const json = (x: string) => (/model[^/\\]*$/i.test(x) && v.options.model ? 'model' : ['strategy', 'config'].find((o) => v.options[o]));
  const meant = (x: string) => (/\.(csv|tsv|txt)$/i.test(x) && v.options.data ? 'data' : /\.json$/i.test(x) ? json(x) : undefined);
  const opt = extra.length === 1 ? meant(extra[0]!) : undefined;
  const hint = opt && given[opt] === undefined ? ` — did you mean --${opt} ${extra[0]}?` : '';
  return `${v.name} takes no arguments${Object.keys(v.options).length ? ' besides its options' : ''}; got ${extra.map((x) => `'${x}'`).join(', ')}${hint}`;
}

/**
 * A negative number after an option that takes a value is that value (`--balance -5`, `-i -5`): parseArgs alone
 * calls it ambiguous, and the verb's own check could not say "must be ≥ 0". Joined as `--balance=-5` / `-i-5`.
 * Only numbers: `--data -file.csv` stays ambiguous, as parseArgs says.
 */
export function negativeValues(v: Verb, args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!, next = args[i + 1];
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const long = /^--([^=]+)$/.exec(a)?.[1];
    const short = /^-([^-])$/.exec(a)?.[1];
    const name = long ?? (short ? Object.keys(v.options).find((n) => v.options[n]!.short === short) : undefined);
    if (name && v.options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(long ? `${a}=${next}` : `${a}${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Why `file` cannot be written as an output (checked before the run, which may be long), or undefined. */
export function outputProblem(file: string, name: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory()) return `is a directory; give a file name in it (e.g. ${join(file, name)})`;
  const folder = dirname(resolve(file));
  const dirSt = statSync(folder, { throwIfNoEntry: false });
  if (!dirSt) return `the folder ${folder} does not exist`;
  if (!dirSt.isDirectory()) return `${folder} is not a folder`;
  return undefined;
}

/** Why a write failed, in words. */
export function writeFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'not writable (permission denied)' : code === 'ENOSPC' ? 'the disk is full' : code === 'EISDIR' ? 'is a directory' : code === 'ENOENT' ? 'its folder does not exist' : (e as Error).message;
}

/** The 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

export class JsonFileError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, readonly column: number | undefined, message: string) {
    super(line !== undefined ? `${file}:${line}:${column}: ${message}` : `${file}: ${message}`);
  }
}

/** Read and parse a JSON file; a directory, a missing file or a syntax error says which file, line and column. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new JsonFileError(file, undefined, undefined, 'is a directory; give a JSON file in it');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof JsonFileError) throw e;
    throw new JsonFileError(file, undefined, undefined, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const msg = (e as Error).message;
    const at = jsonErrorOffset(text.replace(/^\uFEFF/, ''));
    const where = lineColumn(text, at);
    const what = msg.replace(/,? ".*"(?:\.\.\.)? is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
    const found = at >= text.length ? 'the end of the file' : `'${text[at]}'`;
    throw new JsonFileError(file, where.line, where.column, `not valid JSON: ${what} (at ${found})`);
  }
}

/** Where JSON text stops being valid: a small scanner run only after JSON.parse failed (Node 20's message has no position). */
export function jsonErrorOffset(t: string): number {
  let i = 0;
  const ws = () => {
    while (i < t.length && ' \t\n\r'.includes(t[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (w: string) => (t.startsWith(w, i) ? (i += w.length) : fail());
  const str = () => {
    i++;
    while (i < t.length && t[i] !== '"') {
      if (t[i] === '\\') i++;
      else if (t.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= t.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const ch = t[i];
    if (ch === '{') {
      i++;
      ws();
      if (t[i] === '}') return void i++;
      for (;;) {
        ws();
        if (t[i] !== '"') fail();
        str();
        ws();
        if (t[i] !== ':') fail();
        i++;
        value();
        ws();
        if (t[i] === ',') i++;
        else if (t[i] === '}') return void i++;
        else fail();
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (t[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (t[i] === ',') i++;
        else if (t[i] === ']') return void i++;
        else fail();
      }
    }
    if (ch === '"') return str();
    if (ch === 't') return void lit('true');
    if (ch === 'f') return void lit('false');
    if (ch === 'n') return void lit('null');
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(t.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i < t.length ? i : t.length;
  } catch (at) {
    return at as number;
  }
}
