/**
 * A strategy on a broker's suffixed symbol (EURUSD.m, EURUSDm) backtests and paper-trades on the simulator's
 * preset for its base, saying which specification it used; `ml train`/`ml evaluate` too; `strategy new --symbol`
 * takes the same names.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backtestCommand } from '../../src/cli/backtest.js';
import { mlCommand } from '../../src/cli/ml.js';
import { paperCommand } from '../../src/cli/paper-command.js';
import { newStrategyCommand } from '../../src/cli/strategy-new.js';

const dir = mkdtempSync(join(tmpdir(), 'mt5x-suffix-'));
const example = JSON.parse(readFileSync('examples/ema-cross-trend.json', 'utf8')) as Record<string, unknown>;
const strategyOn = (symbol: string) => {
  const f = join(dir, `s-${symbol}.json`);
  writeFileSync(f, JSON.stringify({ ...example, symbol }));
  return f;
};
const backtest = (strategy: string, data: string) => {
  let out = '', err = '';
  const code = backtestCommand({ strategy, data, json: true, cache: false }, (t) => (out += t), (t) => (err += t));
  return { code, out, err };
};

describe('broker-suffix symbols', () => {
  it('backtest runs EURUSD.m and EURUSDm with the EURUSD specification, the same trades as EURUSD, and says so', () => {
    const plain = backtest(strategyOn('EURUSD'), 'data/EURUSD_H1_2019.csv');
    expect(plain.code).toBe(0);
    expect(plain.err).toBe('');
    for (const sym of ['EURUSD.m', 'EURUSDm', 'eurusd']) {
      const data = join(dir, `${sym}_H1.csv`);
      copyFileSync('data/EURUSD_H1_2019.csv', data);
      const r = backtest(strategyOn(sym), data);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe(`note: ${sym} is simulated as EURUSD, with the simulator's EURUSD specification (5 digits, contract size 100000, volume step 0.01)\n`);
      const [a, b] = [JSON.parse(plain.out), JSON.parse(r.out)];
      expect(b.trades).toBeGreaterThan(0);
      expect([b.trades, b.netProfit]).toEqual([a.trades, a.netProfit]);
    }
    // a file named for another symbol is still refused
    const gold = join(dir, 'XAUUSD.m_H1.csv');
    copyFileSync('data/EURUSD_H1_2019.csv', gold);
    expect(backtest(strategyOn('EURUSD.m'), gold).err).toContain('is named for XAUUSD but the strategy trades EURUSD');
    expect(backtest(strategyOn('GBPJPY'), 'data/EURUSD_H1_2019.csv').err).toContain('no symbol specification for GBPJPY: known EURUSD, GBPUSD, USDJPY, EURGBP, XAUUSD');
  });

  it('paper runs a strategy on EURUSD.m with the EURUSD specification and says so', async () => {
    let out = '', err = '';
    const code = await paperCommand([strategyOn('EURUSD.m')], { data: 'data/EURUSD_H1_2019.csv', warmup: '3000' }, (t) => (out += t), (t) => (err += t));
    expect(code, err).toBe(0);
    expect(out).toContain("note: EURUSD.m is simulated as EURUSD, with the simulator's EURUSD specification");
    expect(out).toMatch(/closed #\d+/);
  }, 60_000);

  it('strategy new --symbol: any case and a broker suffix, the preset list when unknown', () => {
    const run = (symbol: string) => {
      let out = '', err = '';
      const f = join(dir, `new-${symbol}.json`);
      const code = newStrategyCommand(f, { symbol, timeframe: undefined, force: true }, (t) => (out += t), (t) => (err += t));
      return { code, out, err, s: code === 0 ? JSON.parse(readFileSync(f, 'utf8')) : undefined };
    };
    expect(run('xauusd').s.symbol).toBe('XAUUSD');
    const m = run('EURUSDm');
    expect(m.s.symbol).toBe('EURUSDm');
    expect(m.out).toContain("note: EURUSDm is simulated as EURUSD, with the simulator's EURUSD specification");
    const bad = run('GBPJPY');
    expect(bad.code).toBe(2);
    expect(bad.err).toBe("mt5-executor strategy new: --symbol GBPJPY: no symbol specification; known EURUSD, GBPUSD, USDJPY, EURGBP, XAUUSD (with a broker's suffix too: EURUSD.m, EURUSDm)\nRun 'mt5-executor strategy new --help' for its options and an example.\n");
  });

  it('ml train and ml evaluate run a strategy on EURUSD.m and EURUSDm as backtest does: the EURUSD specification, the same note', () => {
    const ml = (sub: string, a: Record<string, string>) => {
      let out = '', err = '';
      const code = mlCommand(sub, { ...a, json: true } as never, (t) => (out += t), (t) => (err += t));
      return { code, out, err };
    };
    const data = join(dir, 'EURUSD_H1_2015-2022.csv');
    copyFileSync('data/EURUSD_H1_2015-2022.csv', data);
    const plain = ml('train', { data, strategy: strategyOn('EURUSD'), out: join(dir, 'm-plain.json') });
    expect(plain.code, plain.err).toBe(0);
    expect(plain.err).toBe('');
    for (const sym of ['EURUSD.m', 'EURUSDm']) {
      const note = `note: ${sym} is simulated as EURUSD, with the simulator's EURUSD specification (5 digits, contract size 100000, volume step 0.01)\n`;
      const model = join(dir, `m-${sym}.json`);
      const t = ml('train', { data, strategy: strategyOn(sym), out: model });
      expect(t.code, t.err).toBe(0);
      expect(t.err).toBe(note);
      expect(JSON.parse(t.out).version).toBe(JSON.parse(plain.out).version); // the same signals, the same model
      expect(JSON.parse(readFileSync(model, 'utf8')).trainedOn.symbol).toBe(sym); // the symbol it will trade
      const e = ml('evaluate', { data, strategy: strategyOn(sym), model });
      expect(e.code, e.err).toBe(0);
      expect(e.err).toBe(note);
      expect(JSON.parse(e.out).without.trades).toBeGreaterThan(20);
    }
    // bars of another timeframe or symbol are refused as backtest refuses them, naming the strategy file's field
    const m15 = ml('train', { data: 'data/XAUUSD_M15_2024Q1.csv', strategy: strategyOn('EURUSD.m'), out: join(dir, 'm-x.json') });
    expect(m15.code).toBe(1);
    expect(m15.err).toContain('holds M15 bars (the most common distance between its bars is 15 min) but the strategy trades H1: give a file of H1 bars, or run the strategy on these bars with "timeframe": "M15" in');
    const unknown = ml('train', { data, strategy: strategyOn('EURUSDmicro'), out: join(dir, 'm-y.json') });
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no symbol specification for EURUSDmicro');
  }, 60_000);
});
