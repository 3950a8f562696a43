/** Closed trades and performance from deals; the sign-in codes and sessions (pure parts, no host). */
import { describe, expect, it } from 'vitest';
import { DEAL_ENTRY, DEAL_REASON, DEAL_TYPE } from '../../src/protocol/mt5.js';
import type { Deal } from '../../src/protocol/messages.js';
import { dealRow, filterTrades, performanceOf, tradesCsv, historyTrades } from '../../src/host/dashboard/history.js';
import { Sessions, cookieValue } from '../../src/host/dashboard/session.js';
import { BIG_TICKET } from '../helpers.js';

const T0 = Date.UTC(2024, 0, 31, 10) / 1000;
let n = 0n;
function deal(o: Partial<Deal>): Deal {
  n++;
  return {
    ticket: BIG_TICKET + n, order: BIG_TICKET + 100n + n, positionId: BIG_TICKET, symbol: 'EURUSD', type: DEAL_TYPE.BUY, entry: DEAL_ENTRY.IN,
    volume: 0.2, price: 1.1, commission: -1.4, swap: 0, profit: 0, time: T0, timeMsc: T0 * 1000, magic: 7, comment: '', reason: DEAL_REASON.EXPERT, ...o,
  };
}

describe('trades from deals', () => {
  const deals = [
    deal({}),
    // half closed by the take profit, the rest by the stop loss the next day (another month)
    deal({ type: DEAL_TYPE.SELL, entry: DEAL_ENTRY.OUT, volume: 0.1, price: 1.105, profit: 50, commission: -0.7, time: T0 + 3600, reason: DEAL_REASON.TP }),
    deal({ type: DEAL_TYPE.SELL, entry: DEAL_ENTRY.OUT, volume: 0.1, price: 1.098, profit: -20, commission: -0.7, swap: -0.3, time: T0 + 86400, reason: DEAL_REASON.SL }),
    // a manual sell closed by the trader; a balance deal is no trade
    deal({ positionId: BIG_TICKET + 1n, type: DEAL_TYPE.SELL, magic: 0, time: T0 + 90000, commission: 0 }),
    deal({ positionId: BIG_TICKET + 1n, type: DEAL_TYPE.BUY, entry: DEAL_ENTRY.OUT, magic: 0, price: 1.09, profit: 200, commission: 0, time: T0 + 95000, reason: DEAL_REASON.CLIENT }),
    deal({ type: DEAL_TYPE.BALANCE, entry: DEAL_ENTRY.IN, profit: 1000, time: T0 + 96000 }),
  ];
  const trades = historyTrades(deals, (m) => (m === 7 ? 'ema' : null));

  it('joins each closing deal to its position, shares the opening commission by volume, and names the exit', () => {
    expect(trades.map((t) => [t.positionId, t.side, t.volume, t.exitReason, t.strategyId, t.net])).toEqual([
      [BIG_TICKET.toString(), 'BUY', 0.1, 'take profit', 'ema', 48.6],
      [BIG_TICKET.toString(), 'BUY', 0.1, 'stop loss', 'ema', -21.7],
      [(BIG_TICKET + 1n).toString(), 'SELL', 0.2, 'manual', null, 200],
    ]);
    expect(trades[0]).toMatchObject({ openTime: T0, openPrice: 1.1, closeTime: T0 + 3600, closePrice: 1.105, commission: -1.4 });
  });

  it('keeps the paper mark: a paper account\'s trades and deals say paper, in JSON and in CSV; live ones do not', () => {
    const paper = deals.map((d) => ({ ...d, paper: true }) as Deal);
    const pt = historyTrades(paper, (m) => (m === 7 ? 'ema' : null));
    expect(pt.map((t) => t.paper)).toEqual([true, true, true]);
    expect(trades.map((t) => t.paper)).toEqual([undefined, undefined, undefined]);
    expect(dealRow(paper[0]!)).toMatchObject({ paper: true, ticket: paper[0]!.ticket.toString() });
    expect('paper' in dealRow(deals[0]!)).toBe(false);
    const csv = tradesCsv([pt[0]!, trades[0]!]).split('\r\n');
    expect(csv[0]!.endsWith(',exitReason,paper')).toBe(true);
    expect([csv[1]!.split(',').at(-1), csv[2]!.split(',').at(-1)]).toEqual(['true', 'false']);
  });

  it('filters by strategy, symbol and server dates', () => {
    expect(filterTrades(trades, { strategy: 'ema', format: 'json' })).toHaveLength(2);
    expect(filterTrades(trades, { symbol: 'GBPUSD', format: 'json' })).toHaveLength(0);
    expect(filterTrades(trades, { from: '2024-02-01', format: 'json' })).toHaveLength(2);
    expect(filterTrades(trades, { to: '2024-01-31', format: 'json' })).toHaveLength(1);
  });

  it('writes CSV a spreadsheet cannot mistake for formulas', () => {
    const csv = tradesCsv([{ ...trades[0]!, strategyId: '=HYPERLINK("x")' }]).split('\r\n');
    expect(csv[1]).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv[1]).toContain('2024-01-31T10:00:00Z');
  });

  it('gives the balance curve with drawdown, figures per strategy and monthly returns', () => {
    const p = performanceOf(trades, 10_226.9, [], 'USD');
    expect(p.startBalance).toBe(10_000);
    expect(p.balance.map((b) => b.balance)).toEqual([10_048.6, 10_026.9, 10_226.9]);
    expect(p.balance[1]!.drawdownPct).toBeCloseTo((21.7 / 10_048.6) * 100, 3);
    expect(p.strategies.find((s) => s.strategyId === 'ema')).toMatchObject({ trades: 2, wins: 1, winRatePct: 50, net: 26.9, profitFactor: 2.24, maxDrawdown: 21.7 });
    expect(p.monthly).toEqual([{ month: '2024-01', net: 48.6, returnPct: 0.49 }, { month: '2024-02', net: 178.3, returnPct: 1.77 }]);
  });
});

describe('sign-in codes and sessions', () => {
  it('a code is spent on first use and expires; a session expires; only digests are kept', () => {
    let now = 1_000_000;
    const s = new Sessions(() => now);
    const { code } = s.mintCode(60_000);
    const sess = s.redeem(code)!;
    expect(sess.csrfToken).toMatch(/^[\w-]{32}$/);
    expect(s.redeem(code)).toBeNull();
    expect(s.get(sess.id)).toMatchObject({ csrfToken: sess.csrfToken });
    expect(JSON.stringify([...(s as unknown as { sessions: Map<string, unknown> }).sessions.keys()])).not.toContain(sess.id);
    const late = s.mintCode(60_000);
    now += 60_001;
    expect(s.redeem(late.code)).toBeNull();
    now += 12 * 3600_000;
    expect(s.get(sess.id)).toBeNull();
  });

  it('reads one cookie from a Cookie header', () => {
    expect(cookieValue('a=1; mt5x_session_8080=abc%3D; b=2', 'mt5x_session_8080')).toBe('abc=');
    expect(cookieValue('mt5x_session_80=x', 'mt5x_session_8080')).toBeUndefined();
    expect(cookieValue(undefined, 'x')).toBeUndefined();
  });
});
