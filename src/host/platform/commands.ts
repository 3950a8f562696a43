/**
 * Platform commands → actions. A command executes once, whatever path delivered it (Pusher, a heartbeat's
 * pendingCommands, or both, or twice): its id is recorded in the store before anything runs. Its status goes
 * to the platform as received → executing → executed | failed, with the result (tickets, prices, volumes) or
 * the error — through the outbox, so no status is lost. An order command's `executed` result carries the trade
 * reports of its deals (`trades`, ./trade-reports.ts); START_STRATEGY is `executed` once the strategy is prepared
 * (history loaded, subscribed), `failed` with the reason if it cannot be. Every command's outcome goes to the
 * audit trail with who sent it (the platform, the local API, the dashboard).
 */
import { createHash } from 'node:crypto';
import { intentIdFor } from '../../engine/ids.js';
import { StrategyError } from '../../engine/strategy/normalize.js';
import { intentBodySchemas, type IntentResult } from '../../protocol/messages.js';
import { retcodeText } from '../../protocol/retcodes.js';
import { logContext, type Logger } from '../logger.js';
import { RequestError } from '../bridge/server.js';
import { ManagerError, type StrategyManager } from '../trading/manager.js';
import {
  closeAllParams,
  closePositionParams,
  commandSchema,
  emergencyParams,
  modifyPositionParams,
  openPositionParams,
  riskLimitsParams,
  stopStrategyParams,
  strategyIdParams,
  updateStrategyParams,
  type Command,
  type CommandStatusUpdate,
  type TradeReport,
} from './contract.js';
import type { Store, StoreData } from '../state/store.js';
import type { TradeReporter } from './trade-reports.js';
import { HostStopping, beforeOrder } from './order-waits.js';
import { NotPrepared, PreparationWaits } from './preparation-waits.js';

/** Who sent a command, for the audit trail. */
export type CommandSender = 'platform' | 'local-api' | 'dashboard';

export interface CommandProcessorOptions {
  /** The trade reporter whose deals an order command's result carries. */
  trades?: Pick<TradeReporter, 'claim'>;
  /** How long an order from the platform, or one finished after a restart, waits for a terminal to connect before it fails NO_TERMINAL (default 30 s, order-waits.ts). */
  terminalWaitMs?: number;
  /** An order a previous run left unfinished and never sent fails (STATE) when its last status is older than this (default STALE_AFTER_MS, order-waits.ts). */
  staleAfterMs?: number;
  /** How long an order's result waits for its deal's transaction (default 3 s). */
  claimWaitMs?: number;
}

function resultOf(r: IntentResult): Record<string, unknown> {
  const out: Record<string, unknown> = { retcode: r.retcode, retcodeText: retcodeText(r.retcode), class: r.class };
  if (r.order !== undefined) out.order = r.order.toString();
  if (r.deal !== undefined) out.deal = r.deal.toString();
  if (r.position !== undefined) out.ticket = r.position.toString();
  if (r.price !== undefined) out.price = r.price;
  if (r.volume !== undefined) out.volume = r.volume;
  if (r.comment) out.comment = r.comment;
  return out;
}

/** What became of a command: for the local API's reply (the platform gets the same through `report`). */
export interface CommandOutcome {
  status: 'executed' | 'failed' | 'received' | 'executing';
  result?: unknown;
  error?: string;
  /** Why it failed: INVALID (bad parameters), NOT_FOUND, LOCKED, STATE, NO_TERMINAL, or BROKER (the broker refused). */
  code?: string;
  /** True when this command id had been seen before: nothing ran again; `status` and `result` are the first run's. */
  replayed?: boolean;
  /** It ran, but these writes failed (a read-only or full disk): what is not on disk yet. */
  notRecorded?: string[];
}


function failureCode(e: unknown): string {
  if (e instanceof ManagerError) return e.code;
  if (e instanceof NotPrepared) return 'NOT_PREPARED';
  if (e instanceof StrategyError || (e as { name?: string }).name === 'ZodError') return 'INVALID';
  if (e instanceof BrokerRefused) return 'BROKER';
  return 'ERROR';
}

class BrokerRefused extends Error {}

const QUERIES = new Set<string>(['STATUS_REQUEST', 'PERFORMANCE_REQUEST']);

/** Commands whose every change is journaled (their status and their intents): no whole-state write. */
const ORDER_COMMANDS = new Set<string>(['OPEN_POSITION', 'CLOSE_POSITION', 'MODIFY_POSITION', 'CLOSE_ALL', 'STATUS_REQUEST', 'PERFORMANCE_REQUEST']);

/** The parameters' fingerprint: a retry with the same Idempotency-Key and different parameters is a correction. */
function fingerprint(parameters: unknown): string {
  return createHash('sha256').update(JSON.stringify(parameters) ?? '').digest('base64url').slice(0, 22);
}

/** A zod issue as `parameters.<path>: message`; an unknown key is named. */
function issueText(i: { path: PropertyKey[]; message: string; code?: string; keys?: string[] }): string {
  const at = ['parameters', ...i.path.map(String)].join('.');
  if (i.code === 'unrecognized_keys' && i.keys?.length) return `${at}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')} (refused, not stored)`;
  return `${at}: ${i.message}`;
}

export class CommandProcessor {
  constructor(
    private readonly mgr: StrategyManager,
    private readonly store: Store,
    private readonly report: (u: CommandStatusUpdate) => void,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly opts: CommandProcessorOptions = {},
  ) {
    this.preparation = new PreparationWaits(mgr, log);
  }

  /** Commands executing in this process (a repeated delivery of one waits for nothing and runs nothing). */
  private readonly inFlight = new Set<string>();
  /** The type of each command in flight (what its status record keeps depends on it). */
  private readonly typeOf = new Map<string, string>();
  /** Who sent each command in flight (the audit trail). */
  private readonly senderOf = new Map<string, CommandSender>();
  /** Commands left unfinished by a previous run of the host, being finished now: when their last status was written, ms. */
  private readonly finishing = new Map<string, number>();
  /** START/UPDATE/RESUME_STRATEGY answer once the strategy is prepared (preparation-waits.ts). */
  private readonly preparation: PreparationWaits;

  /**
   * Record a command's status (one journal line) and report it. `strict`: a failed write throws (nothing may run
   * before 'received' is on disk); otherwise it is logged and the status kept in memory for the next write.
   */
  private status(id: string, status: CommandStatusUpdate['status'], extra: { result?: unknown; error?: string; code?: string; params?: string } = {}, strict = false): void {
    const prev = this.store.command(id);
    const params = extra.params ?? prev?.params;
    // a query's answer (STATUS_REQUEST, PERFORMANCE_REQUEST) goes to the platform, not into the history
    const keep = extra.result !== undefined && !QUERIES.has(this.typeOf.get(id) ?? '');
    const record = {
      status, at: this.now().getTime(),
      ...(keep ? { result: extra.result } : {}),
      ...(extra.error !== undefined ? { error: extra.error } : {}),
      ...(extra.code !== undefined ? { code: extra.code } : {}),
      ...(params !== undefined ? { params } : {}),
    };
    try {
      this.store.putCommand(id, record);
    } catch (e) {
      if (strict) throw e;
      this.store.putCommand(id, record, 'soft'); // in memory now, on disk with the next write that succeeds
      this.log.error({ commandId: id, status, err: (e as Error).message }, 'command status not written');
    }
    const report: CommandStatusUpdate = { commandId: id, status, at: this.now().toISOString() };
    if (extra.result !== undefined) report.result = extra.result;
    if (extra.error !== undefined) report.error = extra.error;
    this.report(report);
  }

  /** Handle a command as delivered. Never throws: every failure becomes a `failed` status (or a log line). */
  async handle(raw: unknown, via: 'pusher' | 'heartbeat' | 'api', who: CommandSender = via === 'api' ? 'local-api' : 'platform'): Promise<CommandOutcome> {
    const parsed = commandSchema.safeParse(raw);
    const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'command'}: ${i.message}`).join('; ');
      this.log.warn({ via, commandId: id, err: why }, 'invalid command');
      if (id && id.length <= 128 && !this.store.command(id)) this.status(id, 'failed', { error: `invalid command: ${why}`, code: 'INVALID' });
      const type = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
      this.audit(who, id?.slice(0, 128), typeof type === 'string' ? type.slice(0, 40) : undefined, undefined, { status: 'failed', error: `invalid command: ${why}`, code: 'INVALID' });
      return { status: 'failed', error: `invalid command: ${why}`, code: 'INVALID' };
    }
    const cmd = parsed.data;
    let seen = this.store.command(cmd.id) ?? this.archived(cmd.id);
    const params = fingerprint(cmd.parameters);
    if (seen?.status === 'failed' && seen.code === 'INVALID' && seen.params !== params && !this.inFlight.has(cmd.id)) {
      // refused before anything ran (bad parameters): a retry with corrected parameters is a new attempt
      this.log.info({ via, commandId: cmd.id, type: cmd.type }, 'command retried with corrected parameters: executing');
      seen = undefined;
    } else if (seen?.status === 'failed' && seen.code === 'NO_TERMINAL' && who !== 'platform' && !this.inFlight.has(cmd.id)) {
      // refused before anything ran (no terminal was connected): a person's retry under the same key is a new
      // attempt. Not a platform's repeated delivery: an order the trader saw fail must not execute minutes later.
      this.log.info({ via, commandId: cmd.id, type: cmd.type }, 'command retried after no terminal was connected: executing');
      seen = undefined;
    }
    if (seen && (seen.status === 'executed' || seen.status === 'failed' || this.inFlight.has(cmd.id))) {
      this.log.info({ via, commandId: cmd.id, type: cmd.type, status: seen.status }, 'command already seen: not executed again');
      // a person's retry is an action of theirs; the platform's repeated deliveries are not (the log has them)
      if (who !== 'platform') {
        this.audit(who, cmd.id, cmd.type, cmd.parameters, { status: seen.status, replayed: true });
        this.store.write().catch((e: Error) => this.log.error({ commandId: cmd.id, err: e.message }, 'the audit trail could not be written'));
      }
      return {
        status: seen.status,
        ...(seen.result !== undefined ? { result: seen.result } : {}),
        ...(seen.status === 'failed' ? { error: seen.error ?? 'failed (no reason was recorded)', code: seen.code ?? 'ERROR' } : {}),
        replayed: true,
      };
    }
    this.inFlight.add(cmd.id); // synchronously: a second delivery in the same tick is caught above
    this.typeOf.set(cmd.id, cmd.type);
    this.senderOf.set(cmd.id, who);
    return logContext.run({ commandId: cmd.id, commandType: cmd.type }, () => this.handleNew(cmd, seen, via, params));
  }

  /**
   * The audit trail (store audit, event 'command'): who sent which command, when, and what became of it. The
   * parameters and the result only in short (a strategy by its id; a query's answer is not kept); no secret is
   * ever part of a command.
   */
  private audit(who: CommandSender, commandId: string | undefined, type: string | undefined, parameters: Record<string, unknown> | undefined, o: CommandOutcome): void {
    const short = (v: unknown): unknown => {
      const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
      return text === undefined || text.length <= 2000 ? v : `(${text.length} characters, not kept)`;
    };
    const what = type === 'START_STRATEGY' || type === 'UPDATE_STRATEGY' ? { strategyId: parameters?.strategyId } : parameters;
    const detail: Record<string, unknown> = { who, commandId, type, status: o.status };
    if (what !== undefined) detail.parameters = short(what);
    if (o.result !== undefined && !QUERIES.has(type ?? '')) detail.result = short(o.result);
    if (o.error !== undefined) detail.error = o.error;
    if (o.code !== undefined) detail.code = o.code;
    if (o.replayed) detail.replayed = true;
    try {
      this.store.audit(this.now().getTime(), 'command', detail);
    } catch (e) {
      this.log.error({ commandId, err: (e as Error).message }, 'the audit entry of a command could not be recorded');
    }
  }

  /** A command moved to the archive by the retention: seen, so never executed again. */
  private archived(id: string): StoreData['commands'][string] | undefined {
    if (!this.store.commandArchived(id)) return undefined;
    const row = this.store.findArchived('commands', id) as StoreData['commands'][string] | undefined;
    return row ?? { status: 'executed', at: 0 };
  }

  private async handleNew(cmd: Command, seen: StoreData['commands'][string] | undefined, via: 'pusher' | 'heartbeat' | 'api', params: string): Promise<CommandOutcome> {
    try {
      if (cmd.type !== 'EMERGENCY_STOP') return await this.begin(cmd, seen, via, params);
      // the kill switch acts first and records after: a read-only or full disk must not keep it from running
      const { value, failures } = await this.store.lenientWrites(() => this.begin(cmd, seen, via, params));
      if (!failures.length) return value;
      this.log.error({ commandId: cmd.id, failures }, 'EMERGENCY_STOP ran, but the state could not be written: the lock holds in this process only until the disk takes writes again');
      return { ...value, notRecorded: failures };
    } finally {
      this.inFlight.delete(cmd.id);
      this.typeOf.delete(cmd.id);
      this.senderOf.delete(cmd.id);
      this.finishing.delete(cmd.id);
    }
  }

  private async begin(cmd: Command, seen: StoreData['commands'][string] | undefined, via: 'pusher' | 'heartbeat' | 'api', params: string): Promise<CommandOutcome> {
    if (seen) {
      // left unfinished by a previous run of the host (it stopped mid-command): run it again. Its orders are
      // safe to repeat: their intent ids derive from the command id, and the ledger and the EA execute an
      // intent id once.
      this.log.warn({ via, commandId: cmd.id, type: cmd.type, status: seen.status }, 'command left unfinished by a previous run: finishing it');
      this.finishing.set(cmd.id, seen.at);
    } else {
      try {
        this.status(cmd.id, 'received', { params }, true);
      } catch (e) {
        // not recorded, so not run: running it could run it twice after a restart
        const error = `the state could not be written (${(e as Error).message}): the command was not executed`;
        this.store.forgetCommand(cmd.id);
        this.log.error({ via, commandId: cmd.id, type: cmd.type, err: (e as Error).message }, 'command not executed: state write failed');
        return { status: 'failed', error, code: 'STORAGE' };
      }
      this.log.info({ via, commandId: cmd.id, type: cmd.type }, 'command received');
    }
    return await this.run(cmd);
  }

  private async run(cmd: Command): Promise<CommandOutcome> {
    this.status(cmd.id, 'executing');
    let outcome: CommandOutcome;
    try {
      const result = await this.execute(cmd);
      this.status(cmd.id, 'executed', { result });
      this.log.info({ commandId: cmd.id, type: cmd.type }, 'command executed');
      outcome = { status: 'executed', result };
    } catch (e) {
      if (e instanceof HostStopping) {
        // nothing was sent and nothing is written: the next run finishes it (or finds it stale)
        this.log.warn({ commandId: cmd.id, type: cmd.type }, 'the host stops while the order waits for a terminal: left executing for the next run');
        return { status: 'executing' };
      }
      const msg =
        e instanceof StrategyError
          ? e.problems.map((p) => `${p.path}: ${p.message}`).join('; ')
          : (e as { name?: string }).name === 'ZodError'
            ? (e as { issues: { path: PropertyKey[]; message: string }[] }).issues.map(issueText).join('; ')
            : (e as Error).message;
      const code = failureCode(e);
      this.status(cmd.id, 'failed', { error: msg, code });
      this.log.warn({ commandId: cmd.id, type: cmd.type, err: msg }, 'command failed');
      outcome = { status: 'failed', error: msg, code };
    }
    const who = this.senderOf.get(cmd.id) ?? 'platform';
    this.audit(who, cmd.id, cmd.type, cmd.parameters, outcome);
    // the status is journaled; commands that change state kept outside the journal (limits, the kill switch,
    // strategies' records) write the whole state once, and so does a person's command (the audit entry with it) —
    // not a command refused as invalid, which changed nothing (else every malformed request would cost a write)
    if ((!ORDER_COMMANDS.has(cmd.type) || who !== 'platform') && outcome.code !== 'INVALID') try {
      await this.store.write();
    } catch (e) {
      // it ran: say so, and that its status is not on disk yet (the next successful write takes it)
      this.log.error({ commandId: cmd.id, type: cmd.type, err: (e as Error).message }, 'command ran, but its status could not be written');
      outcome.notRecorded = [`state: ${(e as Error).message}`];
    }
    return outcome;
  }

  private async intent(cmd: Command, build: (intentId: string) => Parameters<StrategyManager['manualIntent']>[0]): Promise<Record<string, unknown>> {
    const intent = build(intentIdFor('cmd', cmd.id));
    // what the terminal could not decode fails now, naming the field, instead of waiting for an answer that never comes
    const check = intentBodySchemas[intent.type].safeParse(intent);
    if (!check.success) throw new ManagerError('INVALID', check.error.issues.map(issueText).join('; '));
    await beforeOrder({ mgr: this.mgr, store: this.store, log: this.log, now: this.now, terminalWaitMs: this.opts.terminalWaitMs, staleAfterMs: this.opts.staleAfterMs }, cmd.id, intent.intentId, {
      platform: this.senderOf.get(cmd.id) === 'platform', leftAt: this.finishing.get(cmd.id),
    });
    let r: IntentResult;
    try {
      r = await this.mgr.manualIntent(intent);
    } catch (e) {
      // no answer in time is not a failure: the intent is in the ledger and may well have executed. The command
      // stays 'executing' until the result or the reconciliation settles it; reporting 'failed' could make a
      // trader send the order again.
      if (!(e instanceof RequestError && e.code === 'TIMEOUT')) throw e;
      this.log.warn({ commandId: cmd.id, intentId: intent.intentId }, 'no result in time: the command waits for the reconciliation');
      r = await this.mgr.settledResult(intent.intentId);
    }
    if (r.class === 'ambiguous') {
      // 10011/10012/10031: the broker may have executed it. Not 'failed' (a trader would send it again): the command
      // waits until the terminal's state shows it (done) or shows twice that it did not execute (reask.ts)
      this.log.warn({ commandId: cmd.id, intentId: intent.intentId, retcode: r.retcode }, 'ambiguous answer: the command waits until the terminal shows what happened');
      r = await this.mgr.settledResult(intent.intentId);
    }
    if (r.class !== 'done') throw new BrokerRefused(`the broker refused: ${retcodeText(r.retcode)}${r.comment ? ` (${r.comment})` : ''}`);
    const out = resultOf(r);
    // the trade reports of its deals ride on the command's result (seed 002, option B); a deal whose transaction
    // is late goes as a trade record instead — never both, never neither
    const reporter = this.opts.trades;
    if (reporter) {
      const deals = [...new Set([r.deal, ...(r.results ?? []).map((x) => x.deal)].filter((d): d is bigint => d !== undefined && d > 0n))];
      const trades = (await Promise.all(deals.map((d) => reporter.claim(d, this.opts.claimWaitMs ?? 3000)))).filter((x): x is TradeReport => x !== undefined);
      if (trades.length) out.trades = trades;
    }
    return out;
  }

  private async execute(cmd: Command): Promise<unknown> {
    const p = cmd.parameters;
    switch (cmd.type) {
      case 'START_STRATEGY': {
        const r = await this.preparation.start(p);
        return { strategyId: r.id, status: r.status };
      }
      case 'STOP_STRATEGY': {
        const a = stopStrategyParams.parse(p);
        const closed = await this.mgr.stop(a.strategyId, a.closePositions);
        return { strategyId: a.strategyId, status: 'stopped', closed: closed.map(resultOf) };
      }
      case 'PAUSE_STRATEGY':
        await this.mgr.pause(strategyIdParams.parse(p).strategyId);
        return { status: 'paused' };
      case 'RESUME_STRATEGY': {
        const r = await this.preparation.resume(strategyIdParams.parse(p).strategyId);
        return { status: r.status };
      }
      case 'UPDATE_STRATEGY': {
        const r = await this.preparation.update(updateStrategyParams.parse(p).strategyId, p);
        return { strategyId: r.id, status: r.status };
      }
      case 'OPEN_POSITION': {
        const a = openPositionParams.parse(p);
        const side = a.side ?? a.type;
        if (side === undefined) throw new ManagerError('INVALID', 'parameters.side: OPEN_POSITION needs side (BUY or SELL)');
        return this.intent(cmd, (intentId) => ({ type: 'OPEN', intentId, magic: a.magic, symbol: a.symbol, side, volume: a.volume, sl: a.sl, tp: a.tp, deviation: a.deviation }));
      }
      case 'CLOSE_POSITION': {
        const a = closePositionParams.parse(p);
        return this.intent(cmd, (intentId) => ({ type: 'CLOSE', intentId, magic: 0, ticket: a.ticket, volume: a.volume, deviation: a.deviation }));
      }
      case 'MODIFY_POSITION': {
        const a = modifyPositionParams.parse(p);
        return this.intent(cmd, (intentId) => ({ type: 'MODIFY', intentId, magic: 0, ticket: a.ticket, sl: a.sl, tp: a.tp }));
      }
      case 'CLOSE_ALL': {
        const a = closeAllParams.parse(p);
        return this.intent(cmd, (intentId) => ({ type: 'CLOSE_ALL', intentId, magic: 0, symbol: a.symbol, onlyMagic: false, deviation: 50 }));
      }
      case 'EMERGENCY_STOP': {
        const a = emergencyParams.parse(p);
        const { event, result } = await this.mgr.emergencyStop(a.reason, a.lockMinutes !== undefined ? a.lockMinutes * 60 : undefined);
        return { lockedUntil: new Date(event.lockedUntil * 1000).toISOString(), closeAll: result instanceof Error ? { error: result.message } : result ? resultOf(result) : null };
      }
      case 'UPDATE_RISK_LIMITS': {
        const limits = riskLimitsParams.parse(p);
        return { limits: this.mgr.setLimits(limits) };
      }
      case 'STATUS_REQUEST':
        return this.mgr.status();
      case 'PERFORMANCE_REQUEST':
        return this.mgr.performance();
    }
  }
}
