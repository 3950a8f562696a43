import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { StrategyManager, type ManagerOptions } from '../../src/host/trading/manager.js';
import { Atr } from '../../src/engine/indicators.js';
import { createServer } from 'node:http';
import { checkModel, classMetrics, featureNames, fit } from '../../src/engine/ml/model.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { signalSamples } from '../../src/research/ml-dataset.js';
import { SupervisorClient, type SupervisorAudit } from '../../src/host/trading/supervisor.js';
import { silentLogger } from '../../src/host/logger.js';
import { PersistentLedger, Store } from '../../src/host/state/store.js';
import type { IntentBody } from '../../src/protocol/messages.js';
import { replayBars } from '../../src/sim/replay.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { makeBroker, startRig, until } from '../helpers.js';

const bars = parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8'));
const example = (f: string) => JSON.parse(readFileSync(`examples/${f}.json`, 'utf8'));

type Asked = { context: { proposedAction: { side: string }; triggers: string[] } };
/** A FIXTURE for the platform's supervisor endpoint; `answer` decides from the request body. Also the real client on it. */
async function supervisorFixture(answer: (body: Asked) => object, audit?: (a: SupervisorAudit) => void) {
  const asked: Asked[] = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      const body = JSON.parse(b) as Asked;
      asked.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ risks: [], suggestions: [], mode: 'enforce', ...answer(body) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const supervisor = new SupervisorClient({
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`, executorId: 'ex-9', apiKey: 'k', apiSecret: 's'.repeat(32), mode: 'enforce',
    ...(audit ? { audit } : {}),
  });
  const close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { asked, supervisor, close };
}

/** A model file as `ml train` writes it, around given weights. */
function modelFile(version: string, w: { mean: number[]; std: number[]; weights: number[]; bias: number }) {
  return checkModel({
    format: 'mt5x-signal-model', formatVersion: 1, version, kind: 'logistic-regression', features: featureNames(), ...w, l2: 1,
    trainedOn: { strategy: 'x', symbol: 'EURUSD', timeframe: 'H1', from: 0, to: 0, samples: 0, positives: 0 }, walkForward: [], metrics: classMetrics([], []), createdAt: '',
  });
}

async function setup(limits?: object, extra: Partial<ManagerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-mgr-'));
  const store = await Store.open(dir);
  const rig = await startRig({ ledger: new PersistentLedger(store), symbols: [], bars: [] });
  const broker = makeBroker({}, [symbolSpec('EURUSD')]);
  const { sim, terminal } = await rig.connect({ broker });
  const mgr = new StrategyManager(store, silentLogger, { warmupBars: 500, ...(limits ? { limits } : {}), now: () => Math.floor(broker.time / 1000) || 1_600_000_000, ...extra });
  const opened: string[] = [];
  mgr.on('intent', (_id: string, i: IntentBody) => i.type === 'OPEN' && opened.push(i.intentId));
  mgr.attach(terminal);
  const data = sliceBars(bars, 0, 3000);
  sim.setHistory('EURUSD', 'H1', data, 600);
  broker.quote('EURUSD', data.open[600]!, data.open[600]! + 0.0001, data.time[600]! * 1000);
  return { dir, store, rig, broker, sim, terminal, mgr, opened, data };
}

describe('strategy manager', () => {
  it('decisions are taken without traces, yet every decision with a signal reports the trace of that signal', async () => {
    const s = await setup();
    try {
      await s.mgr.start(example('ema-cross-trend'));
      type G = { result: boolean; children: unknown[] } | undefined;
      const seen: { signal: string | null; long: G; short: G }[] = [];
      s.mgr.on('decision', (_id: string, d: { evaluation: { signal: string | null; long?: G; short?: G } }) =>
        seen.push({ signal: d.evaluation.signal, long: d.evaluation.long, short: d.evaluation.short }));
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1000, defaultSpread: 10 });
      const signals = seen.filter((d) => d.signal);
      expect(signals.length).toBeGreaterThan(2);
      for (const d of signals) {
        const g = d.signal === 'BUY' ? d.long : d.short;
        expect(g?.result).toBe(true); // the traced evaluation agrees with the decision taken without traces
        expect(g?.children.length).toBeGreaterThan(0);
      }
    } finally {
      await s.rig.close();
    }
  });

  it('a bar is decided once by each running strategy on its symbol and timeframe, as strategies come, change and go', async () => {
    const s = await setup();
    try {
      const ex = example('ema-cross-trend');
      const decisions = new Map<string, number>();
      s.mgr.on('decision', (id: string) => decisions.set(id, (decisions.get(id) ?? 0) + 1));
      const replay = async (from: number, to: number) => {
        decisions.clear();
        await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from, to, defaultSpread: 10 });
        return Object.fromEntries([...decisions].sort());
      };
      await s.mgr.start({ ...ex, strategyId: 'a' });
      await s.mgr.start({ ...ex, strategyId: 'b' });
      await s.mgr.start({ ...ex, strategyId: 'other-tf', timeframe: 'H4' }); // not driven by H1 bars
      expect(await replay(600, 610)).toEqual({ a: 10, b: 10 });
      await s.mgr.delete('a', true);
      await s.mgr.start({ ...ex, strategyId: 'c' });
      await s.mgr.update('b', { ...ex, strategyId: 'b', strategyName: 'b, renamed' });
      expect(await replay(610, 620)).toEqual({ b: 10, c: 10 });
      await s.mgr.pause('c');
      expect(await replay(620, 625)).toEqual({ b: 5 });
    } finally {
      await s.rig.close();
    }
  });

  it('starts a strategy (warmed up on history), trades it over the bridge, pauses, resumes and stops it with its positions', async () => {
    const s = await setup();
    try {
      await s.mgr.start(example('ema-cross-trend'));
      expect(s.terminal.symbols).toEqual(['EURUSD']); // subscribed for the strategy
      expect(s.mgr.get('ema-cross-trend')!.runner!.evaluator.bars('H1')).toBe(500);
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1400, defaultSpread: 10 });
      expect(s.opened.length).toBeGreaterThan(3);
      await s.mgr.pause('ema-cross-trend');
      const before = s.opened.length;
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 1400, to: 1700, defaultSpread: 10 });
      expect(s.opened.length).toBe(before); // paused: no new entries
      await s.mgr.resume('ema-cross-trend');
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 1700, to: 2600, defaultSpread: 10 });
      expect(s.opened.length).toBeGreaterThan(before);
      // make sure the strategy has a position to close (with its magic), whatever the replay left open
      const magic = s.mgr.get('ema-cross-trend')!.runner!.magic;
      await s.mgr.manualIntent({ type: 'OPEN', intentId: 'extra-open', magic, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 });
      const open = s.broker.positionList().filter((p) => p.magic === magic).length;
      expect(open).toBeGreaterThanOrEqual(1);
      const closed = await s.mgr.stop('ema-cross-trend', true);
      expect(closed.length).toBe(open);
      expect(closed.every((r) => r.class === 'done')).toBe(true);
      expect(s.broker.positionList().length).toBe(0);
      expect(s.store.data.strategies['ema-cross-trend']!.status).toBe('stopped');
    } finally {
      await s.rig.close();
    }
  });

  it('blocks orders that break the pre-trade limits', async () => {
    const s = await setup({ maxLot: 0.01 });
    const blocked: unknown[] = [];
    s.mgr.on('blocked', (_id: string, f: unknown) => blocked.push(f));
    try {
      await s.mgr.start(example('ema-cross-trend')); // 0.1 lot
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1400, defaultSpread: 10 });
      expect(s.opened).toEqual([]);
      expect(blocked.length).toBeGreaterThan(3);
      expect(JSON.stringify(blocked[0])).toContain('MAX_LOT');
    } finally {
      await s.rig.close();
    }
  });

  it('tells and logs a refused entry once the bar\'s other intents are out, before the bar\'s decisions', async () => {
    const s = await setup({ maxLot: 0.5 });
    // the same rules twice: the first started (deciding first on each bar) too big for the limit, the second not
    const big = { ...example('ema-cross-trend'), strategyId: 'big' };
    big.rules = { ...big.rules, riskManagement: { ...big.rules.riskManagement, lotSize: 2 } };
    let bar = 0;
    s.terminal.prependListener('bar', () => bar++); // before the manager's: counts the bar being decided
    const events: string[] = [];
    s.mgr.on('sent', (id: string, i: IntentBody) => i.type === 'OPEN' && events.push(`${bar} sent ${id}`));
    s.mgr.on('blocked', (id: string, f: { code: string }[]) => events.push(`${bar} blocked ${id} ${f.map((x) => x.code).join(',')} ${s.store.intents().filter((e) => e.state === 'recording').length} recording`));
    s.mgr.on('decision', (id: string, d: { intents: unknown[]; refused?: string }) => (d.intents.length || d.refused) && events.push(`${bar} decision ${id}`));
    try {
      await s.mgr.start(big);
      await s.mgr.start(example('ema-cross-trend'));
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1400, defaultSpread: 10 });
      const bars = [...new Set(events.filter((e) => / blocked big MAX_LOT /.test(e)).map((e) => e.split(' ')[0]!))];
      expect(bars.length).toBeGreaterThan(3);
      for (const b of bars) {
        const here = events.filter((e) => e.startsWith(`${b} `));
        // the entry let through went first, then the refusal — with that entry written and on its way (nothing of the
        // bar left 'recording' in the ledger) —, then the decisions
        expect(here.slice(0, 2), here.join('\n')).toEqual([`${b} sent ema-cross-trend`, `${b} blocked big MAX_LOT 0 recording`]);
        expect(here.slice(2).every((e) => e.includes(' decision ')), here.join('\n')).toBe(true);
      }
      expect(s.opened.length).toBeGreaterThan(3);
    } finally {
      await s.rig.close();
    }
  });

  it('a drawdown breach takes the configured action live as in the backtest: close closes the positions and pauses the strategies', async () => {
    const s = await setup({ maxDrawdownPercent: 0.3, maxLot: 1, maxPositionsAccount: 100, maxPositionsSymbol: 100, maxPositionsStrategy: 100 }, { risk: { onDrawdown: 'close', autoPause: null } });
    const breaches: { action: string; reason: string }[] = [];
    s.mgr.on('breach', (b: { action: string; reason: string }) => breaches.push(b));
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await s.mgr.start(example('rsi-bollinger-reversion'));
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 2600, defaultSpread: 10 });
      expect(breaches.map((b) => b.action)).toContain('close');
      expect(breaches[0]!.reason).toMatch(/drawdown .* reached the limit 0.3 %/);
      expect(s.mgr.list().map((r) => r.status)).toEqual(['paused', 'paused']);
      await until(() => s.broker.positionList().length === 0, 5000, 'positions closed by the breach');
      // nothing opens after the breach
      const at = s.mgr.core.state().halted['ema-cross-trend']!.at;
      expect(s.broker.deals().filter((d) => d.entry === 0 && d.time > at + 3600)).toEqual([]);
    } finally {
      await s.rig.close();
    }
  });

  it('checks each entry against the positions the terminal reports at that moment', async () => {
    const s = await setup({ maxPositionsSymbol: 5 });
    const blocked: string[] = [];
    s.mgr.on('blocked', (_id: string, f: { code: string }[]) => blocked.push(...f.map((x) => x.code)));
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1100, defaultSpread: 10 });
      const before = s.opened.length;
      expect(before).toBeGreaterThan(1);
      expect(blocked).toEqual([]);
      // a position opened by hand, and a limit of one position per symbol: every entry on EURUSD is one too many
      await s.mgr.manualIntent({ type: 'OPEN', intentId: 'by-hand', magic: 0, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 });
      await until(() => s.terminal.positions.some((p) => p.magic === 0), 5000, 'the position by hand reported');
      s.mgr.setLimits({ maxPositionsSymbol: 1 });
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 1100, to: 1600, defaultSpread: 10 });
      expect(s.opened.length).toBe(before);
      expect(blocked.length).toBeGreaterThan(0);
      expect(new Set(blocked)).toEqual(new Set(['MAX_POSITIONS_SYMBOL']));
    } finally {
      await s.rig.close();
    }
  });

  it('the kill switch stops everything, closes every position and pending order, locks trading, and tells the platform', async () => {
    const s = await setup();
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await s.mgr.start(example('rsi-bollinger-reversion'));
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 1200, defaultSpread: 10 });
      await s.mgr.manualIntent({ type: 'PLACE_PENDING', intentId: 'manual-pending', magic: 5, symbol: 'EURUSD', orderType: 2, volume: 0.01, price: 0.9, stopLimit: 0, sl: 0, tp: 0, expiration: 0 });
      await s.mgr.manualIntent({ type: 'OPEN', intentId: 'manual-open', magic: 5, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 });
      expect(s.broker.positionList().length).toBeGreaterThan(0);
      let notified = false;
      s.mgr.on('kill', () => (notified = true));
      const { event, result } = await s.mgr.emergencyStop('EMERGENCY_STOP from the platform');
      expect(event.actions).toEqual(['stop_all_strategies', 'close_all_positions_and_delete_orders', 'notify_platform']);
      expect(result && !(result instanceof Error) && result.class).toBe('done');
      expect(s.broker.positionList()).toEqual([]);
      expect(s.broker.orderList()).toEqual([]);
      expect(notified).toBe(true);
      expect(s.mgr.list().map((r) => r.status)).toEqual(['stopped', 'stopped']);
      await expect(s.mgr.start(example('ema-cross-trend'))).rejects.toThrow(/locked by the kill switch/);
      await expect(s.mgr.manualIntent({ type: 'OPEN', intentId: 'after-kill', magic: 5, symbol: 'EURUSD', side: 0, volume: 0.01, sl: 0, tp: 0, deviation: 10 })).rejects.toThrow(/KILL_SWITCH/);
      // a restart neither unlocks trading nor loosens a limit
      s.mgr.setLimits({ maxLot: 0.05 });
      await s.store.write();
      const restarted = new StrategyManager(await Store.open(s.dir), silentLogger, { now: () => event.at + 60 });
      await expect(restarted.start(example('ema-cross-trend'))).rejects.toThrow(/locked by the kill switch/);
      expect(restarted.status()).toMatchObject({ killSwitch: { locked: true, lockedUntil: event.lockedUntil } });
      expect(restarted.setLimits({})).toMatchObject({ maxLot: 0.05 });
    } finally {
      await s.rig.close();
    }
  });

  it('restores strategies after a restart, starts an id once, and deletes for real', async () => {
    const s = await setup();
    try {
      await s.mgr.start(example('ema-cross-trend'));
      await s.mgr.start(example('ema-cross-trend')); // the same id again: restarted, not duplicated
      await s.mgr.start(example('rsi-bollinger-reversion'));
      await s.mgr.pause('rsi-bb-reversion');
      expect(s.mgr.list().length).toBe(2);
      const again = new StrategyManager(await Store.open(s.dir), silentLogger);
      expect(again.list().map((r) => [r.id, r.status])).toEqual([['ema-cross-trend', 'running'], ['rsi-bb-reversion', 'paused']]);
      await s.mgr.delete('rsi-bb-reversion');
      expect(Object.keys((await Store.open(s.dir)).data.strategies)).toEqual(['ema-cross-trend']);
      await expect(s.mgr.pause('nope')).rejects.toThrow(/no strategy nope/);
      await expect(s.mgr.start({ strategyId: 'bad', symbol: 'EURUSD', timeframe: 'H1', rules: {} })).rejects.toThrow(/rules.entry/);
    } finally {
      await s.rig.close();
    }
  });

  it('ML gate and LLM supervisor in the live path: the model is loaded by name, scores are logged, the platform\'s denials keep orders from the bridge', async () => {
    // the platform (fixture) denies buys, allows sells
    const audits: SupervisorAudit[] = [];
    const fx = await supervisorFixture((b) => {
      const deny = b.context.proposedAction.side === 'BUY';
      return { action: deny ? 'deny' : 'allow', reason: deny ? 'no buys today' : 'ok', policyVersion: 'fx-1' };
    }, (a) => audits.push(a));
    const { asked, supervisor } = fx;
    const train = signalSamples({ strategy: normalizeStrategy(example('ema-cross-trend')), bars: sliceBars(bars, 0, 600), warmupBars: 150 }).samples;
    const model = modelFile('mgr-test', fit(train.map((x) => x.x), train.map((x) => x.y)));
    const loaded: string[] = [];
    const s = await setup(undefined, { loadModel: (n) => (loaded.push(n), model), supervisor });
    const decisions: { score: number | null; version: string | null }[] = [];
    const blocked: string[] = [];
    const sent: string[] = [];
    const denied: string[] = [];
    const allowed: string[] = [];
    s.mgr.on('decision', (_id: string, d: { ml?: { score: number | null; modelVersion: string | null } }) => d.ml && decisions.push({ score: d.ml.score, version: d.ml.modelVersion }));
    s.mgr.on('blocked', (_id: string, f: { code: string }[]) => blocked.push(...f.map((x) => x.code)));
    s.mgr.on('intent', (_id: string, i: IntentBody) => i.type === 'OPEN' && sent.push(i.intentId));
    s.mgr.on('supervisor', (_id: string, i: IntentBody, d: { proceed: boolean }) => (d.proceed ? allowed : denied).push(i.intentId));
    try {
      const ex = example('ema-cross-trend');
      await s.mgr.start({ ...ex, rules: { ...ex.rules, options: { ml: { mode: 'observe', model: 'ema.json' } } } });
      expect(loaded).toEqual(['ema.json']);
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 2000, defaultSpread: 10 });
      await new Promise((r) => setTimeout(r, 200));
      expect(decisions.length).toBeGreaterThan(3);
      expect(decisions.every((d) => d.version === 'mgr-test' && d.score !== null)).toBe(true);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((a) => a.context.triggers.length > 0)).toBe(true);
      expect(blocked).toContain('SUPERVISOR_DENY');
      expect(denied.length).toBeGreaterThan(0);
      expect(sent.filter((id) => denied.includes(id))).toEqual([]); // a denied entry never reaches the bridge
      expect(allowed.every((id) => sent.includes(id))).toBe(true); // an allowed one does
      expect(asked.filter((a) => a.context.proposedAction.side === 'BUY').length).toBe(denied.length);
      expect(audits.length).toBe(asked.length);
    } finally {
      await s.rig.close();
      await fx.close();
    }
  });

  it('the supervisor is asked at correlated exposure near its limit, with the numbers in the context: spread, ATR and the limits\' use — no tickets', async () => {
    type Ctx = { context: { triggers: string[]; risk: Record<string, number>; filters: Record<string, number>; positions: { count: number } } };
    const fx = await supervisorFixture(() => ({ action: 'allow', reason: 'ok', policyVersion: 'fx-2' }));
    // correlated lots: the trader's own 0.1 EURUSD position + the strategy's 0.1 = 0.2, within the limit 0.22 (the
    // gate lets it through) but above 80 % of it (the trigger)
    const s = await setup({ maxLot: 1, maxPositionsAccount: 10, maxPositionsSymbol: 10, maxPositionsStrategy: 10, maxCorrelatedLots: 0.22, correlationThreshold: 0.8 }, { supervisor: fx.supervisor });
    try {
      const own = await s.terminal.sendIntent({ type: 'OPEN', intentId: 'own-1', magic: 0, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 });
      expect(own.class).toBe('done');
      const ex = example('ema-cross-trend');
      await s.mgr.start({ ...ex, rules: { ...ex.rules, filters: { ...ex.rules.filters, volatilityFilter: { atrPeriod: 14, minAtr: 0.1, maxAtr: 500, action: 'SKIP' } } } });
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 2000, defaultSpread: 10 });
      await new Promise((r) => setTimeout(r, 200));
      const asked = fx.asked as unknown as Ctx[];
      expect(asked.length).toBeGreaterThan(0);
      const corr = asked.filter((a) => a.context.triggers.includes('correlation_exposure'));
      expect(corr.length).toBeGreaterThan(0);
      for (const a of corr) {
        expect(a.context.risk.correlatedLots).toBeGreaterThan(0.8 * 0.22);
        expect(a.context.risk.correlatedLots).toBeLessThanOrEqual(0.22);
        expect(a.context.risk.maxCorrelatedLots).toBe(0.22);
        expect(a.context.filters.spreadPips).toBeCloseTo(1, 5); // 10 points of a 5-digit symbol
        expect(a.context.filters.atrPips).toBeGreaterThan(0);
        expect(a.context.filters.maxAtrPips).toBe(500);
        expect(a.context.positions.count).toBeGreaterThanOrEqual(1);
      }
      // nothing that names the account or a position travels
      const text = JSON.stringify(asked);
      for (const p of s.broker.positionList()) expect(text).not.toContain(p.ticket.toString());
      expect(text).not.toContain(String(s.broker.account().login));
    } finally {
      await s.rig.close();
      await fx.close();
    }
  });

  it('the supervisor is asked when the ATR is at the edge of the volatility filter (within 10 % inside either bound), and only then', async () => {
    type Ctx = { context: { triggers: string[]; filters: Record<string, number> } };
    const fx = await supervisorFixture(() => ({ action: 'allow', reason: 'ok', policyVersion: 'fx-3' }));
    const s = await setup({ maxDailyLossPercent: 100, maxDrawdownPercent: 100, maxLot: 10, maxPositionsAccount: 100, maxPositionsSymbol: 100, maxPositionsStrategy: 100 }, { supervisor: fx.supervisor });
    try {
      // the filter's bounds at the 25th and 75th percentiles of the ATR(14) over the replayed bars, in pips
      const atr = new Atr(14), pips: number[] = [];
      for (let i = 0; i < 2000; i++) {
        atr.push({ time: s.data.time[i]!, open: s.data.open[i]!, high: s.data.high[i]!, low: s.data.low[i]!, close: s.data.close[i]!, tickVolume: 0, realVolume: 0 });
        if (i >= 600) pips.push(atr.out[0]! / 0.0001);
      }
      pips.sort((a, b) => a - b);
      const minAtr = Math.round(pips[Math.floor(pips.length * 0.25)]! * 10) / 10, maxAtr = Math.round(pips[Math.floor(pips.length * 0.75)]! * 10) / 10;
      // an entry on most bars (the close crossing a 3-bar average, both ways), out after an hour
      await s.mgr.start({
        strategyId: 'atr-edge', symbol: 'EURUSD', timeframe: 'H1',
        rules: {
          entry: { direction: 'BOTH', logic: 'AND', conditions: [{ indicator: 'price', condition: 'crosses_above', indicatorRef: 'ema_3' }] },
          exit: { maxHoldingHours: 1, stopLoss: { type: 'pips', value: 50 } },
          riskManagement: { lotSize: 0.1, maxPositions: 1 },
          filters: { volatilityFilter: { atrPeriod: 14, minAtr, maxAtr, action: 'SKIP' } },
        },
      });
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 2000, defaultSpread: 10 });
      await new Promise((r) => setTimeout(r, 200));
      const asked = fx.asked as unknown as Ctx[];
      const edge = asked.filter((a) => a.context.triggers.includes('borderline_filter'));
      expect(edge.length).toBeGreaterThan(5);
      const near = (v: number) => (v >= maxAtr * 0.9 - 1e-3 && v <= maxAtr + 1e-3) || (v >= minAtr - 1e-3 && v <= minAtr * 1.1 + 1e-3);
      for (const a of asked) {
        expect(a.context.filters).toMatchObject({ minAtrPips: minAtr, maxAtrPips: maxAtr });
        // asked for the edge exactly when the ATR was at one (the spread, 1 pip, has no limit here)
        expect(near(a.context.filters.atrPips!)).toBe(a.context.triggers.includes('borderline_filter'));
      }
      expect(edge.some((a) => a.context.filters.atrPips! >= maxAtr * 0.9)).toBe(true);
      expect(edge.some((a) => a.context.filters.atrPips! <= minAtr * 1.1)).toBe(true);
    } finally {
      await s.rig.close();
      await fx.close();
    }
  });

  it('require_confirmation: the entry waits; the trader confirms (sent after the checks again) or rejects; it expires', async () => {
    const fx = await supervisorFixture(() => ({ action: 'require_confirmation', reason: 'unusual spread', risks: ['spread'], policyVersion: 'fx-2' }));
    const { supervisor } = fx;
    // every entry hits a trigger: a model that scores every signal 0.007 (< 0.6)
    const n = featureNames().length;
    const low = modelFile('low', { mean: new Array(n).fill(0), std: new Array(n).fill(1), weights: new Array(n).fill(0), bias: -5 });
    let clock = 1_700_000_000; // the manager's clock, held still while the bars replay
    const s = await setup(undefined, { supervisor, loadModel: () => low, now: () => clock });
    const waiting: string[] = [];
    s.mgr.on('confirmation', (p: { intentId: string }) => waiting.push(p.intentId));
    try {
      const ex = example('rsi-bollinger-reversion');
      await s.mgr.start({ ...ex, rules: { ...ex.rules, options: { ml: { mode: 'observe', model: 'low.json' } } } });
      await replayBars(s.sim, { symbol: 'EURUSD', timeframe: 'H1', bars: s.data, from: 600, to: 2000, defaultSpread: 10 });
      await until(() => waiting.length >= 2, 5000, 'two entries waiting');
      expect(s.opened).toEqual([]); // nothing went out unconfirmed
      const list = s.mgr.pendingConfirmations();
      expect(list.map((p) => p.intentId)).toEqual(expect.arrayContaining(waiting.slice(0, 2)));
      expect(list[0]).toMatchObject({ reason: 'unusual spread', risks: ['spread'], symbol: 'EURUSD' });
      const sends = s.sim.ea.orderSends;
      // the newest one: its SL/TP were computed at the price that is still current
      const last = waiting[waiting.length - 1]!, before = waiting[waiting.length - 2]!;
      const yes = await s.mgr.answerConfirmation(last, true);
      expect(yes.answer).toBe('confirmed');
      expect(yes.result?.class).toBe('done');
      // decided at an older price: SL and TP moved with it, keeping their distances
      const asked = list.find((p) => p.intentId === last)!;
      const pos = s.broker.positionList().find((p) => p.ticket === yes.result!.position)!;
      expect(pos.sl - pos.priceOpen).toBeCloseTo(asked.sl - asked.decidedPrice!, 5);
      expect(pos.tp - pos.priceOpen).toBeCloseTo(asked.tp - asked.decidedPrice!, 5);
      expect(s.sim.ea.orderSends).toBe(sends + 1);
      expect(await s.mgr.answerConfirmation(last, true)).toEqual({ intentId: last, answer: 'confirmed' }); // repeated: the first answer
      expect((await s.mgr.answerConfirmation(before, false)).answer).toBe('rejected');
      expect(s.sim.ea.orderSends).toBe(sends + 1);
      await expect(s.mgr.answerConfirmation('never-asked', true)).rejects.toThrow(/waits for confirmation/);
      // the rest expire after 120 s
      const left = s.mgr.pendingConfirmations().map((p) => p.intentId);
      expect(left.length).toBe(waiting.length - 2);
      clock += 121;
      expect(s.mgr.pendingConfirmations()).toEqual([]);
      if (left[0]) await expect(s.mgr.answerConfirmation(left[0], true)).rejects.toThrow(/expire after 120 s/);
    } finally {
      await s.rig.close();
      await fx.close();
    }
  });
});
