/**
 * The settings matrix in the live host: for every risk, sizing, filter and exit field, the rule set of its case
 * that sets it (tests/e2e/settings-cases.ts) runs through the host's strategy manager over the real bridge to the
 * simulated terminal (`runPaper`, lockstep) and gives the backtest's decision log and deals on the same bars —
 * while settings-matrix.test.ts shows, on the same bars, that the two rule sets of each case differ. So every field
 * changes what the live host does, not only the backtest. (The correlation filter needs a second symbol:
 * tests/host/live-settings.test.ts.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { runPaper } from '../../src/cli/paper.js';
import type { Deal } from '../../src/protocol/messages.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { CASES, rules } from './settings-cases.js';

const bars = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2019.csv', 'utf8')), 0, 1500); // (each case's two rule sets differ on these)
const WARM = 300;

const dealText = (deals: Deal[]) => deals.map((d) => [d.time, d.type, d.entry, d.volume, d.price, d.profit, d.swap, d.commission].join('|')).join('\n');
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

describe('settings matrix in the live host: each field set, the host does what the backtest does', () => {
  for (const [field, [a, b]] of Object.entries(CASES)) {
    it(`${field}`, async () => {
      const raw = { strategyId: 'matrix', symbol: 'EURUSD', timeframe: 'H1', rules: rules(b) };
      const back: string[] = [];
      const bt = runBacktest({ strategy: normalizeStrategy(raw), bars, warmupBars: WARM, closeAtEnd: false, onLog: (l) => back.push(l) });
      const live: string[] = [];
      const p = await runPaper({ strategies: [raw], bars, from: WARM, warmupBars: WARM, onLog: (l) => live.push(l) });
      expect(hash(live.join('\n')), `${field}: the decision log`).toBe(hash(back.join('\n')));
      expect(hash(dealText(p.broker.deals())), `${field}: the deals`).toBe(hash(dealText(bt.deals)));
      // the field shows on these bars: the case's other rule set does something else (in the backtest, as above)
      const other: string[] = [];
      runBacktest({ strategy: normalizeStrategy({ ...raw, rules: rules(a) }), bars, warmupBars: WARM, closeAtEnd: false, onLog: (l) => other.push(l) });
      expect(other.join('\n')).not.toBe(back.join('\n'));
    }, 60_000);
  }
});
