/**
 * Paper trading on recorded bars: the host's own strategy manager — the live driver of the trading core, with its
 * ledger, risk gate and order lifecycle — against the simulated MT5 terminal over the real bridge, the bars
 * replayed bar by bar (lockstep: each bar's intents fill at the next bar's open, as in the backtest). Nothing here
 * decides or checks an order: the core does, as in the backtest and live. The demo is this run on the bundled
 * data with two examples.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatServerTime, type BarSeries } from '../engine/bars.js';
import type { RiskPolicy } from '../engine/core/risk-gate.js';
import type { Decision } from '../engine/runner.js';
import type { RiskLimits, SafetyFailure } from '../engine/safety.js';
import { formatTrace } from '../engine/strategy/evaluator.js';
import { normalizeStrategy, type NormalizedStrategy } from '../engine/strategy/normalize.js';
import { readStrategyJson } from './strategy.js';
import type { BrokerTimeZone } from '../engine/time/broker-time.js';

export { readStrategyJson };
import type { IntentBody, IntentResult, Msg } from '../protocol/messages.js';
import { DEAL_ENTRY, TRADE_TRANSACTION } from '../protocol/mt5.js';
import { retcodeText } from '../protocol/retcodes.js';
import { SimBroker, type SimSymbolSpec } from '../sim/broker.js';
import { replayBars } from '../sim/replay.js';
import { symbolSpec } from '../sim/symbols.js';
import { onPreset } from './run-options.js';
import { SimTerminal } from '../sim/terminal.js';
import { BridgeServer, type Terminal } from '../host/bridge/server.js';
import { LogBus, createLogger, silentLogger, type Logger } from '../host/logger.js';
import { serveDashboard, type ServedDashboard } from '../host/dashboard/demo-keep.js';
import { Writable } from 'node:stream';
import { StrategyManager } from '../host/trading/manager.js';
import { PersistentLedger, Store } from '../host/state/store.js';
import { generateToken } from '../host/state/token.js';

export interface PaperOptions {
  /** Strategies in the platform's format (raw JSON objects); all on the data's symbol and timeframe. */
  strategies: unknown[];
  bars: BarSeries;
  /** The data file's name, for the log. */
  dataName?: string;
  /** First bar traded; the bars before it are the terminal's history (indicator warm-up). */
  from: number;
  /** Bars per second of wall time; omit for as fast as the lockstep allows. */
  barsPerSecond?: number;
  /** Wait for the host after each bar (deterministic fills). Default true. */
  lockstep?: boolean;
  /** History bars the manager warms each strategy on (default 1,000). */
  warmupBars?: number;
  balance?: number;
  symbol?: SimSymbolSpec;
  /** Account limits; default none (as the backtest), or the demo/live defaults. */
  limits?: RiskLimits;
  /** Breach actions and auto-pause; default none (as the backtest). */
  risk?: Partial<Omit<RiskPolicy, 'limits'>>;
  /** The readable log, a line at a time (omit for none). */
  out?: (line: string) => void;
  /** The broker's time zone of the bars (the session filter's UTC hours); default GMT+2, GMT+3 with New York's DST. */
  brokerZone?: BrokerTimeZone;
  /** The decision log, a JSON line at a time (the backtest writes the same lines for the same bars). */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  logger?: Logger;
  /** Runs after a replay that was not aborted, before the terminal and the bridge close (the demo's reports). */
  afterReplay?: (terminal: Terminal) => Promise<void>;
  /**
   * Serve the trader's dashboard over this run (its link printed before the replay); with `keepUntil`, keep it and
   * the simulated terminal up after the replay until that signal aborts (`demo --keep`).
   */
  dashboard?: { keepUntil?: AbortSignal };
}

export interface PaperSummary {
  bars: number;
  aborted: boolean;
  intents: number;
  intentsOk: number;
  intentsFailed: number;
  blocked: number;
  closedTrades: number;
  wins: number;
  losses: number;
  netProfit: number;
  /** The closing deals' profit before commission and swap. */
  grossProfit: number;
  commission: number;
  swap: number;
  balance: number;
  equity: number;
  maxDrawdown: number;
  roundTripP50Ms: number;
  roundTripP99Ms: number;
  wallSeconds: number;
}

const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const signed = (x: number) => `${x >= 0 ? '+' : ''}${money(x)}`;

export async function runPaper(o: PaperOptions): Promise<PaperSummary & { broker: SimBroker }> {
  const out = o.out ?? (() => undefined);
  // a broker's name (EURUSD.m) runs under its preset's (EURUSD): the simulated broker converts currencies through pairs so named
  const notes = new Set<string>();
  const raws = o.strategies.map((s) => {
    const { raw, note } = onPreset(s);
    if (note) notes.add(note);
    return raw;
  });
  for (const n of notes) out(`note: ${n}`);
  const strategies: NormalizedStrategy[] = raws.map((s) => normalizeStrategy(s));
  if (!strategies.length) throw new Error('give at least one strategy');
  const symbol = strategies[0]!.symbol, timeframe = strategies[0]!.timeframe;
  for (const s of strategies) {
    if (s.symbol !== symbol || s.timeframe !== timeframe) throw new Error(`the strategies trade ${symbol} ${timeframe} and ${s.symbol} ${s.timeframe}; one data file replays one symbol and timeframe: run them separately`);
  }
  const all = o.bars;
  const from = o.from;
  const t0 = performance.now();
  const balance = o.balance ?? 10_000;
  const spec = o.symbol ?? symbolSpec(symbol, {}, o.brokerZone); // its trading hours in the file's clock
  const broker = new SimBroker({
    account: { login: 5_100_123, server: 'Sim-Paper', currency: 'USD', leverage: 100, marginMode: 2, balance },
    symbols: [spec],
  });
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-paper-'));
  const store = await Store.open(dir);
  const token = generateToken();
  const server = new BridgeServer({ token, port: 0, logger: o.logger ?? silentLogger, symbols: [symbol], bars: [[symbol, timeframe]], ledger: new PersistentLedger(store) });
  const port = await server.start();
  const term = new SimTerminal({ url: `ws://127.0.0.1:${port}`, token, broker, reconnect: false });
  // with a dashboard, the run's log lines go to its live log (and nowhere else: the readable output stays as it is)
  const bus = o.dashboard ? new LogBus() : undefined;
  const log = bus ? createLogger('info', new Writable({ write: (_c, _e, cb) => cb() }), bus) : (o.logger ?? silentLogger);
  const mgr = new StrategyManager(store, log, {
    warmupBars: o.warmupBars ?? 1000, limits: o.limits ?? {}, risk: { autoPause: null, ...o.risk },
    now: () => Math.floor(broker.time / 1000) || all.time[from]!,
    ...(o.onLog ? { decisionLog: o.onLog } : {}), ...(o.brokerZone ? { brokerZone: o.brokerZone } : {}),
  });
  const nameOf = new Map<number, string>();

  let intents = 0, ok = 0, failed = 0, blocked = 0, closedTrades = 0, wins = 0, losses = 0, peak = balance, maxDd = 0;
  const rtts: number[] = [];
  const sentAt = new Map<string, number>();
  let lastClose = NaN;
  /** Each open trade's deals so far, by position (its net is printed when it closes). */
  const trades = new Map<string, { profit: number; commission: number; swap: number; volume: number; closed: number }>();
  // a stop move says which rule made it: break-even, or the trailing stop (the runner's tags, parallel to its intents)
  const stopMoves = new Map<string, string>();
  mgr.on('decision', (id: string, d: Decision) => {
    if (!d.evaluation.signal && d.intents.length === 0 && !d.refused) return;
    d.intents.forEach((x, k) => {
      const tag = d.tags[k];
      if (x.type === 'MODIFY' && tag?.purpose === 'stop') stopMoves.set(x.intentId, tag.breakEven ? 'break-even' : 'trailing stop');
    });
    const moves = [...new Set(d.intents.map((x) => stopMoves.get(x.intentId)).filter((x) => x !== undefined))];
    const onlyMoves = d.intents.length > 0 && d.intents.every((x) => stopMoves.has(x.intentId));
    const head = d.evaluation.signal ? `${d.evaluation.signal} signal` : onlyMoves ? moves.join(' and ') : d.intents.length ? 'position management' : 'no signal';
    out(`${formatServerTime(d.time)}  ${id}: ${head} at the close ${lastClose.toFixed(spec.digits)}`);
    const trace = d.evaluation.signal === 'BUY' ? d.evaluation.long : d.evaluation.signal === 'SELL' ? d.evaluation.short : d.evaluation.exit;
    if (trace && d.evaluation.signal) for (const line of formatTrace(trace, '    ')) out(line);
    for (const f of d.filters) out(`    ${f.pass ? '+' : '-'} filter ${f.filter}: ${f.detail}${f.sizeMultiplier !== 1 ? ` (size × ${f.sizeMultiplier.toFixed(2)})` : ''}`);
    for (const n of d.notes) out(`    ${n}`);
    if (d.refused) out(`    no order: ${d.refused}`);
    flushSent(id);
  });
  // the risk gate answers before the decision is logged: its line waits for the signal it blocked
  const pendingBlocked = new Map<string, string[]>();
  mgr.on('blocked', (id: string, failures: SafetyFailure[]) => {
    blocked++;
    const line = `    blocked by the risk gate (${id}): ${failures.map((f) => `${f.code}: ${f.message}`).join('; ')}`;
    const l = pendingBlocked.get(id);
    if (l) l.push(line);
    else pendingBlocked.set(id, [line]);
  });
  // a bar's intents leave before its decisions are logged (the manager sends first, traces after): their lines
  // wait for their decision's, so the log reads decision → order → fill
  const pendingSent = new Map<string, IntentBody[]>();
  const flushSent = (id?: string) => {
    for (const [k, lines] of pendingBlocked) {
      if (id !== undefined && k !== id) continue;
      for (const l of lines) out(l);
      pendingBlocked.delete(k);
    }
    for (const [k, sent] of pendingSent) {
      if (id !== undefined && k !== id) continue;
      for (const x of sent) out(`  -> ${describe(x, nameOf.get(x.magic) ?? k, spec.digits, stopMoves.get(x.intentId))}  [${x.intentId}]`);
      pendingSent.delete(k);
    }
  };
  // a stop move's answer can come after the close it preceded (the next bar's prices hit the SL or TP): the close's
  // line waits for the answers of the moves in flight on its position, so the log reads move → done → closed
  const movesInFlight = new Map<string, number>();
  const waitingCloses = new Map<string, string[]>();
  const closeLine = (position: string, line: string) => {
    if (movesInFlight.get(position)) {
      const l = waitingCloses.get(position);
      if (l) l.push(line);
      else waitingCloses.set(position, [line]);
    } else out(line);
  };
  const moveAnswered = (position: string) => {
    const n = (movesInFlight.get(position) ?? 1) - 1;
    if (n > 0) return void movesInFlight.set(position, n);
    movesInFlight.delete(position);
    for (const l of waitingCloses.get(position) ?? []) out(l);
    waitingCloses.delete(position);
  };
  mgr.on('sent', (id: string, intent: IntentBody) => {
    intents++;
    if (intent.type === 'MODIFY') movesInFlight.set(String(intent.ticket), (movesInFlight.get(String(intent.ticket)) ?? 0) + 1);
    sentAt.set(intent.intentId, performance.now());
    const l = pendingSent.get(id);
    if (l) l.push(intent);
    else pendingSent.set(id, [intent]);
  });
  mgr.on('intent', (_id: string, intent: IntentBody, r: IntentResult | Error) => {
    answered(intent, r);
    if (intent.type === 'MODIFY') moveAnswered(String(intent.ticket));
  });
  const answered = (intent: IntentBody, r: IntentResult | Error) => {
    const ms = performance.now() - (sentAt.get(intent.intentId) ?? performance.now());
    sentAt.delete(intent.intentId);
    const move = stopMoves.get(intent.intentId);
    stopMoves.delete(intent.intentId);
    if (r instanceof Error) {
      failed++;
      out(`    FAILED ${r.message}`);
      return;
    }
    rtts.push(ms);
    if (r.class === 'done') {
      ok++;
      // (an entry's fill is printed from its deal, which reaches the host before the next bar: its answer can come after that bar's decision)
      if (intent.type === 'MODIFY') out(`    ${move ? `${move} done: ` : ''}stop of #${intent.ticket} now ${intent.sl.toFixed(spec.digits)}${intent.tp ? `, target ${intent.tp.toFixed(spec.digits)}` : ''}`);
    } else {
      failed++;
      out(`    REJECTED ${retcodeText(r.retcode)}${r.comment ? ` (${r.comment})` : ''}`);
    }
  };
  mgr.on('alert', (m: string) => out(`  ALERT ${m}`));
  mgr.on('breach', (b: { action: string; reason: string }) => out(`  RISK BREACH (${b.action}): ${b.reason}`));

  let attached: Terminal | undefined;
  const wire = (t: Terminal) => {
    attached = t;
    t.on('bar', (m: Msg<'BAR'>) => {
      flushSent(); // what was sent outside a decision (a breach's closes) before this bar's lines
      lastClose = m.bar[4]; // before the manager's listener: the close of the bar decided on
    });
    mgr.attach(t);
    t.on('tx', (tx: Msg<'TRADE_TX'>) => {
      if (tx.txType !== TRADE_TRANSACTION.DEAL_ADD) return;
      const key = String(tx.position);
      if (tx.dealEntry === DEAL_ENTRY.IN) {
        out(`    filled #${tx.position} ${tx.volume.toFixed(2)} @ ${tx.price.toFixed(spec.digits)}: commission ${signed(tx.commission ?? 0)} USD`);
        // the trade's result, as the backtest's trades list it: every deal's profit, commission and swap
        const open = trades.get(key);
        if (open) [open.commission, open.volume] = [open.commission + (tx.commission ?? 0), open.volume + tx.volume];
        else trades.set(key, { profit: 0, commission: tx.commission ?? 0, swap: 0, volume: tx.volume, closed: 0 });
        return;
      }
      if (tx.dealEntry !== DEAL_ENTRY.OUT) return;
      const p = tx.profit ?? 0, c = tx.commission ?? 0, sw = tx.swap ?? 0;
      const tr = trades.get(key) ?? { profit: 0, commission: 0, swap: 0, volume: tx.volume, closed: 0 };
      [tr.profit, tr.commission, tr.swap, tr.closed] = [tr.profit + p, tr.commission + c, tr.swap + sw, tr.closed + tx.volume];
      const whole = tr.closed >= tr.volume - 1e-9;
      const why = tx.comment?.startsWith('[tp') ? 'take profit' : tx.comment?.startsWith('[sl') ? 'stop loss' : 'the strategy';
      // MT5's columns, a deal's profit, commission and swap apart; on the last close, the trade's net (with the entry's commission)
      const parts = `profit ${signed(p)}, commission ${signed(c)}, swap ${signed(sw)} USD`;
      if (!whole) {
        closeLine(key, `    closed ${tx.volume.toFixed(2)} of #${tx.position} at ${tx.price.toFixed(spec.digits)} by ${why}: ${parts}`);
        return;
      }
      trades.delete(key);
      closedTrades++;
      const net = Math.round((tr.profit + tr.commission + tr.swap) * 100) / 100;
      if (net > 0) wins++;
      else losses++;
      closeLine(key, `    closed #${tx.position} at ${tx.price.toFixed(spec.digits)} by ${why}: ${parts}; the trade ${signed(net)} USD net`);
    });
  };
  server.on('terminal', wire);

  let summary: PaperSummary | undefined;
  let served: ServedDashboard | undefined;
  try {
    term.setHistory(symbol, timeframe, all, from);
    broker.quote(symbol, all.open[from]!, all.open[from]! + spec.point * (spec.defaultSpread ?? 10), all.time[from]! * 1000);
    await term.connect();
    for (const s of raws) await mgr.start(s);
    for (const s of strategies) nameOf.set(mgr.get(s.id)?.runner?.magic ?? -1, s.id);
    const notReady = strategies.filter((s) => !mgr.get(s.id)?.runner).map((s) => s.id);
    if (notReady.length) throw new Error(`strategies not ready (history or symbol): ${notReady.join(', ')}`);
    for (const s of strategies) nameOf.set(mgr.get(s.id)!.runner!.magic, s.id);
    if (o.dashboard && bus) {
      served = await serveDashboard({ manager: mgr, store, log, bus, linkTtlMs: 60 * 60_000 });
      out(`Dashboard of this run (a one-time sign-in link): ${served.link}`);
    }
    out(`paper run: ${strategies.length} strateg${strategies.length === 1 ? 'y' : 'ies'} on ${symbol} ${timeframe} through the host's bridge (127.0.0.1:${port}) and the simulated terminal (hedging, USD ${money(balance)}, 1:100)`);
    out(`replaying ${all.length - from} bar${all.length - from === 1 ? "" : "s"} from ${formatServerTime(all.time[from]!)} to ${formatServerTime(all.time[all.length - 1]!)}${o.dataName ? ` (${o.dataName})` : ''}; indicators warmed up on ${Math.min(from, o.warmupBars ?? 1000)} bars of the terminal's history`);
    const zone = mgr.brokerZone();
    out(`sessions in broker time ${zone.description}${o.brokerZone ? '' : ' (the usual MT5 server zone, assumed; --broker-zone sets the file\'s)'}`);
    out('');
    const r = await replayBars(term, {
      symbol, timeframe, bars: all, from, defaultSpread: spec.defaultSpread ?? 10, // as the backtest's default
      ...(o.barsPerSecond ? { barsPerSecond: o.barsPerSecond } : {}), lockstep: o.lockstep ?? true, ...(o.signal ? { signal: o.signal } : {}),
      // the drawdown on the equity at each bar's close, as the backtest measures it (sim/backtest.ts): after the bar's
      // path, before the next open's gap, fills and swaps (the terminal's ACCOUNT messages come after those)
      onBar: () => {
        const e = broker.equity;
        if (e > peak) peak = e;
        if (peak - e > maxDd) maxDd = peak - e;
      },
    });
    await term.sync().catch(() => undefined);
    flushSent();
    for (const lines of waitingCloses.values()) for (const l of lines) out(l);
    waitingCloses.clear();
    const acc = broker.account();
    const deals = broker.deals();
    const commission = deals.reduce((s, d) => s + d.commission, 0);
    const outs = deals.filter((d) => d.entry === DEAL_ENTRY.OUT);
    const gross = outs.reduce((s, d) => s + d.profit, 0), swap = outs.reduce((s, d) => s + d.swap, 0);
    const net = gross + swap + commission;
    rtts.sort((a, b) => a - b);
    const q = (p: number) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]! : 0);
    summary = {
      bars: r.bars, aborted: r.aborted, intents, intentsOk: ok, intentsFailed: failed, blocked, closedTrades, wins, losses,
      netProfit: Math.round(net * 100) / 100, grossProfit: Math.round(gross * 100) / 100, commission: Math.round(commission * 100) / 100, swap: Math.round(swap * 100) / 100,
      balance: acc.balance, equity: acc.equity, maxDrawdown: Math.round(maxDd * 100) / 100,
      roundTripP50Ms: q(0.5), roundTripP99Ms: q(0.99), wallSeconds: (performance.now() - t0) / 1000,
    };
    out('');
    out(r.aborted ? `stopped early (Ctrl-C) after ${r.bars} bars` : `replay finished: ${r.bars} bars`);
    out(`  intents sent      ${intents} (${ok} done, ${failed} rejected or failed)`);
    out(`  entries blocked   ${blocked} (by the risk gate)`);
    out(`  closed trades     ${closedTrades} (${wins} won, ${losses} lost)`);
    out(`  net profit        ${money(summary.netProfit)} USD = profit ${money(summary.grossProfit)} + commission ${money(summary.commission)} + swap ${money(summary.swap)}`);
    out(`  balance / equity  ${money(acc.balance)} / ${money(acc.equity)} USD, ${broker.positionList().length} position(s) open`);
    out(`  max drawdown      ${money(summary.maxDrawdown)} USD (on equity at bar closes)`);
    out(`  intent round trip p50 ${summary.roundTripP50Ms.toFixed(2)} ms, p99 ${summary.roundTripP99Ms.toFixed(2)} ms (host -> sim terminal -> host)`);
    out(`  wall time         ${summary.wallSeconds.toFixed(1)} s`);
    if (o.afterReplay && !r.aborted) await o.afterReplay(attached!);
    const keep = o.dashboard?.keepUntil;
    if (served && keep && !keep.aborted && !r.aborted) {
      out('');
      out(`The dashboard stays up with the run's account and trades until Ctrl-C: ${served.link}`);
      await new Promise<void>((res) => keep.addEventListener('abort', () => res(), { once: true }));
    }
  } finally {
    await served?.stop().catch(() => undefined);
    await term.close();
    await server.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { ...summary!, broker };
}

/** An intent as the log shows it; a stop move named by the rule that made it (break-even, trailing stop). */
function describe(intent: IntentBody, who: string, digits: number, stopMove?: string): string {
  switch (intent.type) {
    case 'OPEN':
      return `OPEN ${intent.side === 0 ? 'buy' : 'sell'} ${intent.volume.toFixed(2)} ${intent.symbol} sl ${intent.sl.toFixed(digits)} tp ${intent.tp.toFixed(digits)} (${who})`;
    case 'CLOSE':
      return intent.volume > 0 ? `CLOSE ${intent.volume} of #${intent.ticket} (partial, ${who})` : `CLOSE #${intent.ticket} (${who})`;
    case 'MODIFY':
      return `${stopMove ? `${stopMove.toUpperCase()} ` : 'MODIFY '}#${intent.ticket}: stop to ${intent.sl.toFixed(digits)}${intent.tp ? `, target ${intent.tp.toFixed(digits)}` : ''} (${who})`;
    default:
      return intent.type;
  }
}
