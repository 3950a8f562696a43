/**
 * What the state folder holds, as types and text: the state file's shape and its check, the journal's lines and
 * theirs, the errors that name what is wrong, and the JSON form (tickets are bigint: {"$bigint": "…"}).
 */
import { dirname, resolve } from 'node:path';
import { defaultDataDir } from './data-dir.js';
import type { LedgerEntry } from './ledger.js';

export interface StrategyRecord {
  id: string;
  parameters: unknown;
  status: 'running' | 'paused' | 'stopped';
  updatedAt: number;
}

/** A command's last status. `error` and `code` for a failure; `params`: the parameters' fingerprint. */
export interface CommandRecord {
  status: 'received' | 'executing' | 'executed' | 'failed';
  at: number;
  result?: unknown;
  error?: string;
  code?: string;
  params?: string;
}

/** An audit entry. `seq` orders them (a journal replayed over a state that holds some adds none twice). */
export interface AuditEntry {
  at: number;
  event: string;
  detail?: unknown;
  seq?: number;
}

/** The kill switch lock and the risk limits in force: a restart must not unlock trading or loosen a limit. */
export interface Safety {
  lockedUntil: number;
  reason: string;
  limits?: Record<string, unknown>;
}

export interface StoreData {
  version: 1;
  /** The journal segment this state was taken at: segments before it are in it (see Store.compact). */
  segment?: number;
  strategies: Record<string, StrategyRecord>;
  intents: Record<string, LedgerEntry>;
  commands: Record<string, CommandRecord>;
  daily: Record<string, { startBalance: number; realized: number; trades: number }>;
  audit: AuditEntry[];
  safety?: Safety;
  /** Command statuses not yet accepted by the platform, oldest first. `seq` orders them (journal replay). */
  outbox: OutboxEntry[];
}

export interface OutboxEntry {
  commandId: string;
  status: string;
  at: string;
  result?: unknown;
  error?: string;
  seq?: number;
}

/** One journal line. Every op sets a value (or is ordered by a seq), so replaying a line twice changes nothing. */
export type JournalOp =
  | { op: 'command'; id: string; record: CommandRecord }
  | { op: 'outbox-push'; entry: OutboxEntry }
  | { op: 'outbox-shift'; upTo: number }
  | { op: 'add'; entry: LedgerEntry }
  | { op: 'update'; intentId: string; patch: Partial<LedgerEntry> }
  | { op: 'strategy'; record: StrategyRecord; audit?: AuditEntry }
  | { op: 'strategy-delete'; id: string; audit?: AuditEntry }
  | { op: 'audit'; entry: AuditEntry }
  | { op: 'safety'; safety: Safety };

export const emptyState = (): StoreData => ({ version: 1, strategies: {}, intents: {}, commands: {}, daily: {}, audit: [], outbox: [] });

export const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v);

/**
 * Whether a bigint may be in `v`: true for one found, or for a structure deeper than `depth` (not looked into).
 * A bigint a toJSON method returns is not seen here: JSON.stringify throws on it, and toJson then uses the replacer.
 */
function mayHoldBigint(v: unknown, depth: number): boolean {
  if (typeof v === 'bigint') return true;
  if (v === null || typeof v !== 'object') return false;
  if (depth === 0) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (mayHoldBigint(x, depth - 1)) return true;
    return false;
  }
  // own enumerable string keys: the ones JSON.stringify reads (a for…in would read inherited ones too)
  for (const k of Object.keys(v)) if (mayHoldBigint((v as Record<string, unknown>)[k], depth - 1)) return true;
  return false;
}

/**
 * JSON with bigints as `{ "$bigint": "…" }`: the same text as `JSON.stringify(v, replacer)`, which is what it returns
 * for a value that may hold a bigint; a value without one is written without the replacer (V8's fast path: a journal
 * line's JSON in about half the time — a bar's new intents are journalled before they may be sent).
 */
export const toJson = (v: unknown): string => {
  if (!mayHoldBigint(v, 8)) {
    try {
      return JSON.stringify(v);
    } catch {
      // a bigint from a toJSON method (or an error the replacer's stringify raises again)
    }
  }
  return JSON.stringify(v, replacer);
};
export const fromJson = <T = unknown>(s: string) =>
  JSON.parse(s, (_k, v: unknown) => (v && typeof v === 'object' && '$bigint' in (v as object) && Object.keys(v as object).length === 1 ? BigInt((v as { $bigint: string }).$bigint) : v)) as T;

export class JournalCorruptError extends Error {
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(
      `${file}, line ${line}: not a complete journal entry (${reason}). The host will not start without it: it would not know ` +
        'whether that intent reached the terminal. Restore the line, or stop the EA, check its orders and positions by the ix: comments, and remove the line.',
    );
    this.name = 'JournalCorruptError';
  }
}

/**
 * The `state recover` command for the state folder `stateDir` (of `<data folder>/state/…`), with `--data-dir` unless
 * the folder is the default and MT5X_DATA_DIR is unset (a shell where it is set, or not, would otherwise find another
 * folder): the command as it must be typed.
 */
export function recoverCommand(stateDir: string, args = ''): string {
  const dataDir = resolve(dirname(stateDir));
  return `mt5-executor state recover${args ? ` ${args}` : ''}${!process.env.MT5X_DATA_DIR && dataDir === resolve(defaultDataDir()) ? '' : ` --data-dir "${dataDir}"`}`;
}

/** How the trader gets out of a refused start: an explicit choice, never an automatic empty state. */
export const recoverHint = (stateDir: string) =>
  `Run '${recoverCommand(stateDir, '--backup <file>')}' to start from a backup you choose, or '${recoverCommand(stateDir, '--empty')}' ` +
  'to start with an EMPTY state (no strategies, default risk limits, no command history: check the terminal first; a sound trading core\'s state, with its kill-switch lock and the day\'s loss, is kept). ' +
  `'${recoverCommand(stateDir)}' lists the backups.`;

export class StoreCorruptError extends Error {
  /**
   * `noGoodBackup`: why no backup could be restored (none in the folder, or none that reads), for the message; the
   * state file is restored from `restoredFrom` when there is one.
   */
  constructor(readonly file: string, readonly reason: string, readonly restoredFrom?: string, noGoodBackup = 'there is no good backup', message?: string) {
    super(
      message ??
        (restoredFrom
          ? `${file} was corrupt (${reason}); it was moved aside and the state was restored from the backup ${restoredFrom}`
          : `${file} is corrupt (${reason}) and ${noGoodBackup}: the host will not start with an empty state. ` +
            `It refuses on every start until you choose. ${recoverHint(dirname(file))}`),
    );
    this.name = 'StoreCorruptError';
  }
}

/** What the trading core forgets when it starts without its state (state recover says it; the start's refusal too). */
export const CORE_FORGETS =
  "The trading core starts without its state: the broker day's starting balance and the equity peak are taken again from the account, " +
  'and pauses, a kill-switch lock and exits waiting for a retry are forgotten (check the terminal first).';

/**
 * The trading core's state (core-state.json or its lines) damaged: the start refuses it. It has no backups by design
 * (rewritten as the core changes, a backup would be stale at once) and state.json is not involved: the way out is
 * `state recover --core`, which sets only it aside.
 */
export class CoreStateCorruptError extends StoreCorruptError {
  constructor(file: string, reason: string) {
    const stateDir = dirname(file);
    super(
      file, reason, undefined, undefined,
      `${file} is damaged (${reason}): the host does not start with it. The trading core's state (the day's baselines, pauses, ` +
        `the kill-switch lock, exits waiting for a retry) has no backups — it is rewritten as it changes. Stop here and check the terminal ` +
        `(open positions and their stops, today's loss), then run '${recoverCommand(stateDir, '--core')}' to set it aside ` +
        `(as *.damaged-<time>; state.json and the journal are kept) and start again. ${CORE_FORGETS}`,
    );
    this.name = 'CoreStateCorruptError';
  }
}

/** state.json is gone but earlier runs left backups or a journal: starting empty would silently lose the state. */
export class StoreMissingError extends Error {
  constructor(readonly file: string, evidence: string) {
    super(`${file} is missing but this folder held a state before (${evidence}): the host will not start with an empty state. ${recoverHint(dirname(file))}`);
    this.name = 'StoreMissingError';
  }
}

const INTENT_STATES = new Set(['recording', 'pending', 'sent', 'unknown', 'settled']);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What is wrong with the shape of a parsed state file (undefined: nothing). Names the field. */
export function stateShapeProblem(d: unknown): string | undefined {
  if (!isObj(d)) return `expected a JSON object, got ${Array.isArray(d) ? 'an array' : d === null ? 'null' : typeof d}`;
  if (d.version !== 1) return `"version" is ${JSON.stringify(d.version) ?? 'missing'}, expected 1 (not a state file of this version)`;
  for (const k of ['strategies', 'intents', 'commands', 'daily'] as const) if (!isObj(d[k])) return `"${k}" must be an object, got ${d[k] === null ? 'null' : Array.isArray(d[k]) ? 'an array' : typeof d[k]}`;
  for (const k of ['audit', 'outbox'] as const) if (d[k] !== undefined && !Array.isArray(d[k])) return `"${k}" must be an array`;
  if (d.segment !== undefined && (typeof d.segment !== 'number' || !Number.isInteger(d.segment) || d.segment < 0)) return '"segment" must be a whole number ≥ 0';
  for (const [id, e] of Object.entries(d.intents as object)) {
    if (!isObj(e) || e.intentId !== id || typeof e.terminal !== 'string' || !INTENT_STATES.has(e.state as string) || !isObj(e.intent)) {
      return `"intents.${id}" is not a ledger entry (needs intentId = "${id}", terminal, state ∈ ${[...INTENT_STATES].join('|')}, intent)`;
    }
  }
  for (const [id, r] of Object.entries(d.strategies as object)) {
    if (!isObj(r) || r.id !== id || !['running', 'paused', 'stopped'].includes(r.status as string)) return `"strategies.${id}" is not a strategy record (needs id = "${id}", status running|paused|stopped)`;
  }
  for (const [id, c] of Object.entries(d.commands as object)) {
    if (!isObj(c) || typeof c.status !== 'string') return `"commands.${id}" is not a command status`;
  }
  if (d.safety !== undefined && (!isObj(d.safety) || typeof d.safety.lockedUntil !== 'number')) return '"safety" must be { lockedUntil: number, reason, limits? }';
  return undefined;
}

/** What is wrong with a parsed journal line (undefined: nothing). */
export function journalOpProblem(op: unknown): string | undefined {
  if (!isObj(op)) return `expected an object, got ${op === null ? 'null' : Array.isArray(op) ? 'an array' : typeof op}`;
  switch (op.op) {
    case 'add':
      return isObj(op.entry) && typeof op.entry.intentId === 'string' && isObj(op.entry.intent) ? undefined : '"add" needs entry { intentId, intent, … }';
    case 'update':
      return typeof op.intentId === 'string' && isObj(op.patch) ? undefined : '"update" needs intentId and patch';
    case 'strategy':
      return isObj(op.record) && typeof op.record.id === 'string' ? undefined : '"strategy" needs record { id, … }';
    case 'strategy-delete':
      return typeof op.id === 'string' ? undefined : '"strategy-delete" needs id';
    case 'command':
      return typeof op.id === 'string' && isObj(op.record) && typeof op.record.status === 'string' ? undefined : '"command" needs id and record { status, … }';
    case 'outbox-push':
      return isObj(op.entry) && typeof op.entry.seq === 'number' ? undefined : '"outbox-push" needs entry { seq, … }';
    case 'outbox-shift':
      return typeof op.upTo === 'number' ? undefined : '"outbox-shift" needs upTo';
    case 'audit':
      return isObj(op.entry) && typeof op.entry.at === 'number' && typeof op.entry.event === 'string' && typeof op.entry.seq === 'number' ? undefined : '"audit" needs entry { at, event, seq }';
    case 'safety':
      return isObj(op.safety) && typeof op.safety.lockedUntil === 'number' ? undefined : '"safety" needs safety { lockedUntil, reason, limits? }';
    default:
      return `unknown op ${JSON.stringify(op.op) ?? 'missing'}`;
  }
}

/** Apply one journal line to a state. Idempotent in sequence: a segment replayed over a state that already holds part of it ends the same. */
export function applyOp(d: StoreData, op: JournalOp): void {
  switch (op.op) {
    case 'add':
      d.intents[op.entry.intentId] = op.entry;
      return;
    case 'update': {
      const e = d.intents[op.intentId];
      if (e) Object.assign(e, op.patch);
      return;
    }
    case 'command':
      d.commands[op.id] = op.record;
      return;
    case 'outbox-push':
      if (!d.outbox.some((x) => x.seq === op.entry.seq)) d.outbox.push(op.entry);
      return;
    case 'outbox-shift':
      d.outbox = d.outbox.filter((x) => x.seq === undefined || x.seq > op.upTo);
      return;
    case 'audit': {
      const last = d.audit.length ? (d.audit[d.audit.length - 1]!.seq ?? 0) : 0;
      if (op.entry.seq! > last) d.audit.push(op.entry);
      return;
    }
    case 'safety':
      d.safety = op.safety;
      return;
    case 'strategy':
    case 'strategy-delete':
      if (op.op === 'strategy') d.strategies[op.record.id] = op.record;
      else delete d.strategies[op.id];
      // an older journal carried the strategy's audit entry on the same line (now an 'audit' line of its own)
      if (op.audit) d.audit.push(op.audit);
      return;
  }
}
