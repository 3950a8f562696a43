/**
 * Closed trades and performance figures from the terminal's deal history (pure functions: deals in, figures
 * out). A trade is a position's opening deal(s) and closing deal(s) joined by DEAL_POSITION_ID; its exit reason
 * comes from the closing deal's DEAL_REASON.
 */
import { DEAL_ENTRY, DEAL_REASON, DEAL_TYPE } from '../../protocol/mt5.js';
import type { Deal } from '../../protocol/messages.js';
import type { DealRow, Performance, Trade, TradesQuery } from './schemas.js';

const r2 = (x: number) => Math.round(x * 100) / 100;

/** A deal of the paper account (src/host/paper/venue.ts marks them). */
const isPaper = (d: Deal): boolean => (d as Deal & { paper?: boolean }).paper === true;

export function dealRow(d: Deal): DealRow {
  const { paper: _p, ...rest } = d as Deal & { paper?: boolean };
  return { ...rest, ticket: d.ticket.toString(), order: d.order.toString(), positionId: d.positionId.toString(), ...(isPaper(d) ? { paper: true as const } : {}) };
}

function exitReason(reason: number): Trade['exitReason'] {
  switch (reason) {
    case DEAL_REASON.SL: return 'stop loss';
    case DEAL_REASON.TP: return 'take profit';
    case DEAL_REASON.SO: return 'stop out';
    case DEAL_REASON.EXPERT: return 'strategy';
    case DEAL_REASON.CLIENT: case DEAL_REASON.MOBILE: case DEAL_REASON.WEB: return 'manual';
    default: return 'other';
  }
}

/** The history page's closed trades, oldest close first: a position closed in parts gives one trade per closing deal (the backtest's are sim/trades.ts'). */
export function historyTrades(deals: readonly Deal[], strategyOfMagic: (magic: number) => string | null): Trade[] {
  const opens = new Map<bigint, Deal>();
  const out: Trade[] = [];
  for (const d of deals) {
    if (d.type !== DEAL_TYPE.BUY && d.type !== DEAL_TYPE.SELL) continue;
    if (d.entry === DEAL_ENTRY.IN) {
      if (!opens.has(d.positionId)) opens.set(d.positionId, d);
      continue;
    }
    const open = opens.get(d.positionId);
    // the closing deal is on the other side of the position
    const side = open ? (open.type === DEAL_TYPE.BUY ? 'BUY' : 'SELL') : d.type === DEAL_TYPE.BUY ? 'SELL' : 'BUY';
    // the opening commission shared out by the volume this deal closes
    const openCommission = open && open.volume > 0 ? (open.commission * d.volume) / open.volume : 0;
    const commission = r2(d.commission + openCommission);
    out.push({
      positionId: d.positionId.toString(), strategyId: strategyOfMagic(d.magic || open?.magic || 0), magic: d.magic || open?.magic || 0,
      symbol: d.symbol, side, volume: d.volume, openTime: open?.time ?? d.time, openPrice: open?.price ?? d.price, closeTime: d.time, closePrice: d.price,
      commission, swap: r2(d.swap), profit: r2(d.profit), net: r2(d.profit + d.swap + commission), exitReason: exitReason(d.reason),
      ...(isPaper(d) || (open && isPaper(open)) ? { paper: true as const } : {}),
    });
  }
  return out;
}

/** Two venues' closed trades as one list, oldest close first (each list is already in that order). */
export function byCloseTime(a: readonly Trade[], b: readonly Trade[]): Trade[] {
  if (!b.length) return [...a];
  return [...a, ...b].sort((x, y) => x.closeTime - y.closeTime); // stable: a venue's own order holds within a second
}

const dayStart = (ymd: string) => Date.parse(`${ymd}T00:00:00Z`) / 1000;

export function filterTrades(trades: readonly Trade[], q: TradesQuery): Trade[] {
  const from = q.from ? dayStart(q.from) : -Infinity;
  const to = q.to ? dayStart(q.to) + 86_400 : Infinity;
  return trades.filter((t) => (!q.strategy || t.strategyId === q.strategy) && (!q.symbol || t.symbol === q.symbol) && t.closeTime >= from && t.closeTime < to);
}

const CSV_COLUMNS = ['positionId', 'strategyId', 'magic', 'symbol', 'side', 'volume', 'openTime', 'openPrice', 'closeTime', 'closePrice', 'commission', 'swap', 'profit', 'net', 'exitReason', 'paper'] as const;

/** RFC 4180 CSV; times as ISO dates (server time); a leading =, +, - or @ in text is quoted against spreadsheet formulas. */
export function tradesCsv(trades: readonly Trade[]): string {
  const cell = (v: unknown, k: string): string => {
    if (k === 'paper') return v === true ? 'true' : 'false';
    if (v === null || v === undefined) return '';
    if (k === 'openTime' || k === 'closeTime') return new Date((v as number) * 1000).toISOString().replace('.000Z', 'Z');
    const s = String(v);
    const safe = typeof v === 'string' && /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [CSV_COLUMNS.join(','), ...trades.map((t) => CSV_COLUMNS.map((k) => cell(t[k], k)).join(','))].join('\r\n') + '\r\n';
}

/**
 * Performance from the closed trades: the balance after each one with its drawdown from the running peak,
 * figures per strategy, and net results by month (return on the balance the month began with).
 */
export function performanceOf(trades: readonly Trade[], currentBalance: number | null, equity: { time: number; equity: number }[], currency: string | null, paperTrades: readonly Trade[] = []): Performance {
  const totalNet = trades.reduce((s, t) => s + t.net, 0);
  const startBalance = r2((currentBalance ?? 0) - totalNet);
  let bal = startBalance, peak = startBalance, maxDdPct = 0;
  const balance: Performance['balance'] = [];
  const monthly = new Map<string, { net: number; start: number }>();
  for (const t of trades) {
    const month = new Date(t.closeTime * 1000).toISOString().slice(0, 7);
    let m = monthly.get(month);
    if (!m) monthly.set(month, (m = { net: 0, start: bal }));
    m.net += t.net;
    bal += t.net;
    if (bal > peak) peak = bal;
    const dd = peak > 0 ? ((peak - bal) / peak) * 100 : 0;
    if (dd > maxDdPct) maxDdPct = dd;
    balance.push({ time: t.closeTime, balance: r2(bal), drawdownPct: Math.round(dd * 1000) / 1000 });
  }
  // per strategy: the account's trades, and apart from them the paper account's (a strategy that changed its mode has both)
  const by = new Map<string, Trade[]>();
  for (const t of [...trades, ...paperTrades]) {
    const k = `${t.strategyId ?? 'manual'}${t.paper ? '\u0000paper' : ''}`;
    const l = by.get(k);
    if (l) l.push(t);
    else by.set(k, [t]);
  }
  const strategies = [...by.values()].map((ts) => {
    const strategyId = ts[0]!.strategyId ?? 'manual';
    let cum = 0, top = 0, dd = 0, gain = 0, loss = 0, wins = 0;
    for (const t of ts) {
      cum += t.net;
      top = Math.max(top, cum);
      dd = Math.max(dd, top - cum);
      if (t.net > 0) { gain += t.net; wins++; } else loss -= t.net;
    }
    return {
      strategyId, ...(ts[0]!.paper ? { paper: true as const } : {}), trades: ts.length, wins, winRatePct: Math.round((wins / ts.length) * 1000) / 10, net: r2(cum),
      profitFactor: loss > 0 ? Math.round((gain / loss) * 100) / 100 : null, maxDrawdown: r2(dd), averageTrade: r2(cum / ts.length),
    };
  });
  return {
    currency, startBalance, balance, equity, strategies,
    monthly: [...monthly].map(([month, m]) => ({ month, net: r2(m.net), returnPct: m.start > 0 ? Math.round((m.net / m.start) * 10_000) / 100 : 0 })),
    totals: { trades: trades.length, net: r2(totalNet), maxDrawdownPct: Math.round(maxDdPct * 100) / 100 },
  };
}
