/**
 * The main job for now: start the host's bridge server and a simulated MT5 terminal replaying bundled real
 * EURUSD H1 bars at accelerated speed; a placeholder strategy sends real intents through the bridge; a
 * readable live log and a final summary. Ends by itself; Ctrl-C (the signal) ends it early and cleanly.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBars, formatServerTime, type BarSeries } from '../engine/bars.js';
import { StrategyRunner } from '../engine/runner.js';
import { formatTrace } from '../engine/strategy/evaluator.js';
import type { BarIn } from '../engine/indicators.js';
import { DEAL_ENTRY, TRADE_TRANSACTION } from '../protocol/mt5.js';
import { retcodeText } from '../protocol/retcodes.js';
import type { IntentBody, Msg } from '../protocol/messages.js';
import { SimBroker } from '../sim/broker.js';
import { replayBars } from '../sim/replay.js';
import { symbolSpec } from '../sim/symbols.js';
import { SimTerminal } from '../sim/terminal.js';
import { BridgeServer, type Terminal } from './bridge.js';
import { silentLogger, type Logger } from './logger.js';
import { findDataFile, findRepoFile } from './paths.js';
import { renderReport } from './report.js';
import { runBacktest } from '../sim/backtest.js';
import { sliceBars } from '../engine/bars.js';
import { readStrategyFile } from './strategy-cmd.js';
import { generateToken } from './token.js';

export interface DemoOptions {
  /** Bars to replay (the most recent ones of the file). */
  bars?: number;
  /** Strategy files (the platform's JSON format); default two of examples/. */
  strategies?: string[];
  barsPerSecond?: number;
  dataFile?: string;
  out?: (line: string) => void;
  signal?: AbortSignal;
  /** Where the backtest reports go (default ./reports); null = no backtest. */
  reportDir?: string | null;
  logger?: Logger;
  /** Runs after the replay, before the simulated terminal and the bridge close (`demo --keep`: the dashboard). */
  afterReplay?: (terminal: Terminal) => Promise<void>;
}

export interface DemoSummary {
  bars: number;
  aborted: boolean;
  intents: number;
  intentsOk: number;
  intentsFailed: number;
  closedTrades: number;
  wins: number;
  losses: number;
  netProfit: number;
  commission: number;
  balance: number;
  equity: number;
  maxDrawdown: number;
  roundTripP50Ms: number;
  roundTripP99Ms: number;
  wallSeconds: number;
}

const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export async function runDemo(o: DemoOptions = {}): Promise<DemoSummary> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const file = o.dataFile ?? findDataFile('EURUSD_H1_2015-2022.csv');
  const all: BarSeries = parseBars(readFileSync(file, 'utf8'), file);
  const want = Math.min(o.bars ?? 3000, all.length - 50);
  const from = all.length - want;
  const symbol = 'EURUSD';
  const t0 = performance.now();

  const broker = new SimBroker({
    account: { login: 5_100_123, server: 'Sim-Demo', currency: 'USD', leverage: 100, marginMode: 2, balance: 10_000 },
    symbols: [symbolSpec(symbol)],
    ticketStart: 50_000_000n,
  });
  const token = generateToken();
  const server = new BridgeServer({ token, port: 0, logger: o.logger ?? silentLogger, symbols: [symbol], bars: [[symbol, 'H1']] });
  const port = await server.start();
  const term = new SimTerminal({ url: `ws://127.0.0.1:${port}`, token, broker });
  const files = o.strategies ?? ['examples/ema-cross-trend.json', 'examples/rsi-bollinger-reversion.json'].map(findRepoFile);
  const spec = broker.spec(symbol)!;
  const runners = files.map((f) => new StrategyRunner(readStrategyFile(f), spec));
  for (const r of runners) if (r.strategy.symbol !== symbol || r.strategy.timeframe !== 'H1') throw new Error(`${r.strategy.id}: the demo replays ${symbol} H1; this strategy trades ${r.strategy.symbol} ${r.strategy.timeframe}`);
  const nameOf = new Map(runners.map((r) => [r.magic, r.strategy.id]));

  let intents = 0, ok = 0, failed = 0, closedTrades = 0, wins = 0, losses = 0, peak = 10_000, maxDd = 0;
  const rtts: number[] = [];
  let bid = 0, ask = 0;

  out(`mt5-executor demo: host bridge on 127.0.0.1:${port}, simulated MT5 terminal (hedging, USD 10,000, 1:100)`);
  out(`replaying ${want} ${symbol} H1 bars from ${formatServerTime(all.time[from]!)} to ${formatServerTime(all.time[all.length - 1]!)} (${file.split(/[\\/]/).pop()})`);
  for (const r of runners) out(`strategy: ${r.strategy.id} — ${r.strategy.name} (magic ${r.magic})`);

  const wire = (t: Terminal) => {
    t.on('ticks', (m: Msg<'TICKS'>) => {
      const last = m.ticks[m.ticks.length - 1]!;
      bid = last[1];
      ask = last[2];
    });
    t.on('account', (a: { equity: number }) => {
      if (a.equity > peak) peak = a.equity;
      if (peak - a.equity > maxDd) maxDd = peak - a.equity;
    });
    t.on('tx', (tx: Msg<'TRADE_TX'>) => {
      if (tx.txType !== TRADE_TRANSACTION.DEAL_ADD || tx.dealEntry !== DEAL_ENTRY.OUT) return;
      closedTrades++;
      const p = tx.profit ?? 0;
      if (p > 0) wins++;
      else losses++;
      const why = tx.comment?.startsWith('[tp') ? 'take profit' : tx.comment?.startsWith('[sl') ? 'stop loss' : 'signal';
      out(`    closed #${tx.position} at ${tx.price.toFixed(5)} by ${why}: ${p >= 0 ? '+' : ''}${money(p)} USD`);
    });
    t.on('bar', (m: Msg<'BAR'>) => {
      const [time, open, high, low, close, tickVolume, , realVolume] = m.bar;
      const bar: BarIn = { time, open, high, low, close, tickVolume, realVolume };
      if ((time / 3600) % 24 === 0) out(`${formatServerTime(time)}  ${symbol} close ${close.toFixed(5)}  equity ${t.account ? money(t.account.equity) : '?'}`);
      for (const r of runners) {
        const positions = t.positions.filter((p) => p.magic === r.magic);
        const d = r.onBar(bar, { bid, ask, positions });
        if (!d.evaluation.signal && d.intents.length === 0) continue;
        const head = d.evaluation.signal ? `${d.evaluation.signal} signal` : 'exit';
        out(`${formatServerTime(time)}  ${r.strategy.id}: ${head} at the close ${close.toFixed(5)}`);
        const trace = d.evaluation.signal === 'BUY' ? d.evaluation.long : d.evaluation.signal === 'SELL' ? d.evaluation.short : d.evaluation.exit;
        if (trace) for (const line of formatTrace(trace, '    ')) out(line);
        for (const f of d.filters) out(`    ${f.pass ? '+' : '-'} filter ${f.filter}: ${f.detail}${f.sizeMultiplier !== 1 ? ` (size × ${f.sizeMultiplier.toFixed(2)})` : ''}`);
        if (d.refused) out(`    no order: ${d.refused}`);
        for (const intent of d.intents) send(t, intent);
      }
    });
  };

  const send = (t: Terminal, intent: IntentBody) => {
    intents++;
    const sent = performance.now();
    const what = intent.type === 'OPEN'
      ? `OPEN ${intent.side === 0 ? 'buy' : 'sell'} ${intent.volume.toFixed(2)} ${intent.symbol} sl ${intent.sl.toFixed(5)} tp ${intent.tp.toFixed(5)} (${nameOf.get(intent.magic)})`
      : intent.type === 'CLOSE' ? `CLOSE #${intent.ticket}` : intent.type;
    out(`  -> ${what}  [${intent.intentId}]`);
    t.sendIntent(intent).then(
      (r) => {
        const ms = performance.now() - sent;
        rtts.push(ms);
        if (r.class === 'done') {
          ok++;
          if (intent.type === 'OPEN') out(`    filled #${r.position ?? r.order} ${r.volume?.toFixed(2)} @ ${r.price?.toFixed(5)}  (${ms.toFixed(2)} ms round trip)`);
        } else {
          failed++;
          out(`    REJECTED ${retcodeText(r.retcode)}${r.comment ? ` (${r.comment})` : ''}`);
        }
      },
      (e: Error) => {
        failed++;
        out(`    FAILED ${e.message}`);
      },
    );
  };

  server.on('terminal', wire);
  let summary: DemoSummary | undefined;
  try {
    term.setHistory(symbol, 'H1', all, from);
    await term.connect();
    // warm the indicators up on the terminal's history, as the host does on start
    const t = server.terminal(`${broker.account().login}@${broker.account().server}`);
    const warmFrom = Math.max(0, from - 1000);
    const h = await t.history(symbol, 'H1', all.time[warmFrom]!, from - warmFrom);
    for (const [time, open, high, low, close, tickVolume, , realVolume] of h.bars) for (const r of runners) r.warm({ time, open, high, low, close, tickVolume, realVolume });
    out(`indicators warmed up on ${h.bars.length} H1 bars of history from the terminal`);
    out('');
    const r = await replayBars(term, {
      symbol, timeframe: 'H1', bars: all, from, defaultSpread: 10,
      barsPerSecond: o.barsPerSecond ?? 250, lockstep: true, ...(o.signal ? { signal: o.signal } : {}),
    });
    const acc = broker.account();
    const deals = broker.deals();
    const closedDeals = deals.filter((d) => d.entry === DEAL_ENTRY.OUT);
    const commission = deals.reduce((s, d) => s + d.commission, 0);
    const net = closedDeals.reduce((s, d) => s + d.profit + d.swap, 0) + commission;
    rtts.sort((a, b) => a - b);
    const q = (p: number) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]! : 0);
    summary = {
      bars: r.bars, aborted: r.aborted, intents, intentsOk: ok, intentsFailed: failed, closedTrades, wins, losses,
      netProfit: Math.round(net * 100) / 100, commission: Math.round(commission * 100) / 100,
      balance: acc.balance, equity: acc.equity, maxDrawdown: Math.round(maxDd * 100) / 100,
      roundTripP50Ms: q(0.5), roundTripP99Ms: q(0.99), wallSeconds: (performance.now() - t0) / 1000,
    };
    out('');
    out(r.aborted ? `stopped early (Ctrl-C) after ${r.bars} bars` : `replay finished: ${r.bars} bars`);
    out(`  intents sent      ${intents} (${ok} done, ${failed} rejected or failed)`);
    out(`  closed trades     ${closedTrades} (${wins} won, ${losses} lost)`);
    out(`  net profit        ${money(summary.netProfit)} USD (commission ${money(summary.commission)} included)`);
    out(`  balance / equity  ${money(acc.balance)} / ${money(acc.equity)} USD, ${broker.positionList().length} position(s) open`);
    out(`  max drawdown      ${money(summary.maxDrawdown)} USD (on equity at bar closes)`);
    out(`  intent round trip p50 ${summary.roundTripP50Ms.toFixed(2)} ms, p99 ${summary.roundTripP99Ms.toFixed(2)} ms (host -> sim terminal -> host)`);
    out(`  wall time         ${summary.wallSeconds.toFixed(1)} s`);
    if (o.reportDir !== null && !r.aborted) {
      // the same strategies on the same bars, in-process: the backtest differs from the paper run only in its venue
      const dir = o.reportDir ?? 'reports';
      mkdirSync(dir, { recursive: true });
      out('');
      out(`backtest of the same strategies on the same ${want} bars (same engine and broker model, no sockets):`);
      const bars = sliceBars(all, Math.max(0, from - 1000));
      for (const f of files) {
        const strategy = readStrategyFile(f);
        const bt = runBacktest({ strategy, bars, warmupBars: Math.min(1000, from), closeAtEnd: false });
        const m = bt.metrics;
        const file = join(dir, `demo-${strategy.id}.html`);
        writeFileSync(file, renderReport(`${strategy.name} — backtest, ${symbol} H1, ${formatServerTime(all.time[from]!)} to ${formatServerTime(all.time[all.length - 1]!)}`, bt));
        out(`  ${strategy.id}: ${m.trades} trades, win rate ${m.winRate.toFixed(1)} %, profit factor ${m.profitFactor === null ? '∞' : m.profitFactor.toFixed(2)}, net ${money(m.netProfit)}, max drawdown ${money(m.maxDrawdown)} (${m.maxDrawdownPct.toFixed(2)} %) — report ${file}`);
      }
    }
    if (o.afterReplay && !r.aborted) await o.afterReplay(t);
  } finally {
    await term.close();
    await server.stop();
  }
  return summary;
}
