/**
 * What the dashboard watches: the manager's decisions (kept raw, formatted only when asked: a bar's strategies
 * pay nothing for the dashboard), the terminal's account, positions and fills, and the server-sent event
 * stream (GET /events) that tells open pages what changed — a fill reaches the page within one event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '../../engine/runner.js';
import { formatTrace } from '../../engine/strategy/evaluator.js';
import { TRADE_TRANSACTION } from '../../protocol/mt5.js';
import type { Deal, IntentBody, Msg, Position } from '../../protocol/messages.js';
import type { Terminal } from '../bridge/server.js';
import type { Logger } from '../logger.js';
import type { PendingConfirmation, StrategyManager } from '../trading/manager.js';
import type { SupervisorDecision } from '../trading/supervisor.js';
import type { DecisionEntry } from './schemas.js';

type Raw =
  | { at: number; kind: 'decision'; strategyId: string; d: Decision }
  | { at: number; kind: 'blocked'; strategyId: string; failures: { code: string; message: string }[] }
  | { at: number; kind: 'supervisor'; strategyId: string; intentId: string; decision: SupervisorDecision }
  | { at: number; kind: 'confirmation'; strategyId: string; p: PendingConfirmation };

const KEEP = 2000;
const EQUITY_SAMPLES = 5000;

export function positionRow(p: Position) {
  return { ...p, ticket: p.ticket.toString(), identifier: p.identifier.toString() };
}

function entryOf(r: Raw): DecisionEntry {
  switch (r.kind) {
    case 'decision': {
      const d = r.d, ev = d.evaluation;
      const t = ev.signal === 'BUY' ? ev.long : ev.signal === 'SELL' ? ev.short : ev.exit;
      const kind = d.ml ? 'ml' : 'decision';
      const summary = d.ml
        ? `ML gate ${d.ml.mode}: ${d.ml.allow ? 'allow' : 'block'} (score ${d.ml.score ?? '–'} / ${d.ml.threshold}) ${d.ml.reason}`
        : ev.signal ? `${ev.signal} signal${d.refused ? ` refused: ${d.refused}` : d.intents.length ? `, ${d.intents.length} intent(s)` : ''}` : d.intents.length ? `${d.intents.length} intent(s): ${d.intents.map((i) => i.type).join(', ')}` : 'no signal';
      return {
        at: r.at, kind, strategyId: r.strategyId, summary, signal: ev.signal, trace: t ? formatTrace(t) : [],
        detail: { barTime: d.time, filters: d.filters, notes: d.notes, intents: d.intents.map((i) => ({ type: i.type, intentId: i.intentId })), ...(d.refused ? { refused: d.refused } : {}), ...(d.ml ? { ml: d.ml } : {}) },
      };
    }
    case 'blocked':
      return { at: r.at, kind: 'blocked', strategyId: r.strategyId, summary: `blocked: ${r.failures.map((f) => `${f.code} ${f.message}`).join('; ')}`, signal: null, trace: [], detail: { failures: r.failures } };
    case 'supervisor':
      return {
        at: r.at, kind: 'supervisor', strategyId: r.strategyId, summary: `supervisor ${r.decision.mode}: ${r.decision.action}${r.decision.proceed ? ' (proceeds)' : ''} — ${r.decision.reason}`,
        signal: null, trace: [], detail: { intentId: r.intentId, action: r.decision.action, proceed: r.decision.proceed, risks: r.decision.risks, source: r.decision.source, policyVersion: r.decision.policyVersion },
      };
    case 'confirmation':
      return { at: r.at, kind: 'confirmation', strategyId: r.strategyId, summary: `waits for your confirmation: ${r.p.side} ${r.p.volume} ${r.p.symbol} — ${r.p.reason}`, signal: r.p.side, trace: [], detail: { ...r.p } };
  }
}

export class Feed {
  private readonly raw: Raw[] = [];
  private readonly last = new Map<string, Raw & { kind: 'decision' }>();
  private readonly lastWithSignal = new Map<string, Raw & { kind: 'decision' }>();
  readonly equity: { time: number; equity: number }[] = [];
  private readonly clients = new Set<ServerResponse>();
  private watched: Terminal | undefined;
  private watchedPaper: Terminal | undefined;
  /** Each venue's deal history, asked once, then again after its next deal: the terminal's, and the paper account's. */
  private readonly deals = new WeakMap<Terminal, Promise<Deal[]>>();
  private accountTimer: NodeJS.Timeout | undefined;
  private readonly poll: NodeJS.Timeout;

  constructor(private readonly manager: StrategyManager, private readonly log: Logger) {
    const keep = (r: Raw) => {
      this.raw.push(r);
      if (this.raw.length > KEEP * 1.5) this.raw.splice(0, this.raw.length - KEEP);
    };
    manager.on('decision', (strategyId: string, d: Decision) => {
      const r = { at: Date.now(), kind: 'decision' as const, strategyId, d };
      this.last.set(strategyId, r);
      if (d.evaluation.signal || d.intents.length || d.ml || d.refused) {
        if (d.evaluation.signal) this.lastWithSignal.set(strategyId, r);
        keep(r);
        this.send('decision', { strategyId });
      }
    });
    manager.on('blocked', (strategyId: string, failures: { code: string; message: string }[]) => {
      keep({ at: Date.now(), kind: 'blocked', strategyId, failures });
      this.send('decision', { strategyId });
    });
    manager.on('supervisor', (strategyId: string, intent: IntentBody, decision: SupervisorDecision) => {
      keep({ at: Date.now(), kind: 'supervisor', strategyId, intentId: intent.intentId, decision });
      this.send('decision', { strategyId });
    });
    manager.on('confirmation', (p: PendingConfirmation) => {
      keep({ at: Date.now(), kind: 'confirmation', strategyId: p.strategyId, p });
      this.send('confirmation', { intentId: p.intentId });
    });
    manager.on('kill', () => this.send('kill', {}));
    // the terminal attaches after the host starts: look for it until it is there
    this.poll = setInterval(() => this.watch(), 250);
    this.poll.unref();
  }

  /** Newest first. */
  decisions(limit = 500, strategyId?: string): DecisionEntry[] {
    const out: DecisionEntry[] = [];
    for (let i = this.raw.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.raw[i]!;
      if (!strategyId || r.strategyId === strategyId) out.push(entryOf(r));
    }
    return out;
  }

  lastDecision(strategyId: string): DecisionEntry | null {
    const r = this.last.get(strategyId);
    return r ? entryOf(r) : null;
  }

  /** The strategy's last decision with a signal (its trace says why). */
  lastSignal(strategyId: string): DecisionEntry | null {
    const r = this.lastWithSignal.get(strategyId);
    return r ? entryOf(r) : null;
  }

  /** The terminal's deal history (asked once, then again after each new deal). */
  allDeals(): Promise<Deal[]> {
    return this.dealsOf(this.manager.attachedTerminal());
  }

  /**
   * The deal history of the paper account of `mode: paper` strategies in a live host (src/host/paper/venue.ts marks
   * each deal `paper: true`); none without one. (Under `start --paper` the attached terminal is itself the paper account.)
   */
  paperDeals(): Promise<Deal[]> {
    const p = this.manager.paperAccount();
    return p && p !== this.manager.attachedTerminal() ? this.dealsOf(p) : Promise.resolve([]);
  }

  private dealsOf(t: Terminal | undefined): Promise<Deal[]> {
    if (!t?.connected) return Promise.resolve([]);
    let d = this.deals.get(t);
    if (!d) {
      const p = t.snapshot(0).then((s) => s.deals, (e: Error) => {
        if (this.deals.get(t) === p) this.deals.delete(t);
        throw e;
      });
      this.deals.set(t, (d = p));
    }
    return d;
  }

  /** Tell every open page something changed. */
  send(type: string, data: unknown): void {
    if (!this.clients.size) return;
    const frame = `event: ${type}\ndata: ${JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n\n`;
    for (const c of this.clients) c.write(frame);
  }

  /** GET /events: a server-sent event stream (EventSource sends the session cookie). */
  stream(req: IncomingMessage, res: ServerResponse): void {
    this.watch();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`retry: 1000\nevent: hello\ndata: {}\n\n`);
    this.clients.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      this.clients.delete(res);
    });
  }

  close(): void {
    clearInterval(this.poll);
    clearTimeout(this.accountTimer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private watch(): void {
    this.watchPaper();
    const t = this.manager.attachedTerminal();
    if (!t || t === this.watched) return;
    this.watched = t;
    t.on('account', (a: { equity: number; serverTime: number }) => {
      const lastSample = this.equity[this.equity.length - 1];
      if (!lastSample || a.serverTime - lastSample.time >= 60) {
        this.equity.push({ time: a.serverTime, equity: a.equity });
        if (this.equity.length > EQUITY_SAMPLES) this.equity.splice(0, this.equity.length - EQUITY_SAMPLES);
      } else if (a.serverTime >= lastSample.time) lastSample.equity = a.equity;
      // at most four account updates a second reach the pages
      this.accountTimer ??= setTimeout(() => {
        this.accountTimer = undefined;
        this.send('account', this.manager.account() ?? null);
      }, 250);
    });
    t.on('positions', (ps: Position[]) => this.send('positions', ps.map(positionRow)));
    t.on('orders', () => this.send('orders', {}));
    t.on('tx', (tx: Msg<'TRADE_TX'>) => {
      if (tx.txType !== TRADE_TRANSACTION.DEAL_ADD) return;
      this.deals.delete(t);
      this.send('fill', { deal: tx.deal, position: tx.position, symbol: tx.symbol, price: tx.price, volume: tx.volume, profit: tx.profit ?? null });
    });
    t.on('connected', () => { this.deals.delete(t); this.send('connection', { ea: true }); });
    t.on('disconnected', () => this.send('connection', { ea: false }));
    this.log.debug('dashboard watching the terminal');
    this.send('connection', { ea: t.connected });
  }

  /** The paper account of `mode: paper` strategies: its fills reach the pages and refresh its deal history. */
  private watchPaper(): void {
    const p = this.manager.paperAccount();
    if (!p || p === this.watchedPaper || p === this.manager.attachedTerminal()) return;
    this.watchedPaper = p;
    p.on('tx', (tx: Msg<'TRADE_TX'>) => {
      if (tx.txType !== TRADE_TRANSACTION.DEAL_ADD) return;
      this.deals.delete(p);
      this.send('fill', { deal: tx.deal, position: tx.position, symbol: tx.symbol, price: tx.price, volume: tx.volume, profit: tx.profit ?? null, paper: true });
    });
  }
}
