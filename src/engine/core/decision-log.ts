/**
 * The decision log: one JSON line per decision that did something — a signal, an intent sent, a refusal by the
 * runner (filters, sizing, stops) or by the risk gate, a management note — and per breach or alert. Every venue
 * writes the same lines for the same bars (the venue-parity test compares them byte for byte), one at a time, so a
 * backtest of a million bars streams its log instead of keeping it.
 */
import type { IntentBody } from '../../protocol/messages.js';
import type { Decision } from '../runner.js';
import type { CoreStep } from './trading-core.js';

/** The intent as the log shows it: its type, id and what it asks (tickets as decimal strings). */
function intentFields(i: IntentBody): unknown[] {
  switch (i.type) {
    case 'OPEN':
      return ['OPEN', i.intentId, i.side === 0 ? 'BUY' : 'SELL', i.volume, i.sl, i.tp];
    case 'CLOSE':
      return ['CLOSE', i.intentId, String(i.ticket), i.volume];
    case 'MODIFY':
      return ['MODIFY', i.intentId, String(i.ticket), i.sl, i.tp];
    case 'CLOSE_ALL':
      return ['CLOSE_ALL', i.intentId];
    default:
      return [i.type, i.intentId];
  }
}

/** The line for one decision of strategy `strategyId` and the core's step on it; null when nothing happened. */
export function decisionLogLine(strategyId: string, d: Decision, step: CoreStep): string | null {
  const sig = d.evaluation.signal;
  if (!sig && !d.refused && d.notes.length === 0 && step.send.length === 0 && step.refused.length === 0 && step.breaches.length === 0 && step.alerts.length === 0) return null;
  const rec: Record<string, unknown> = { t: d.time, s: strategyId };
  if (sig) rec.signal = sig;
  if (d.filters.length) rec.filters = d.filters.map((f) => [f.filter, f.pass, Math.round(f.sizeMultiplier * 1e6) / 1e6, f.detail]);
  if (d.refused) rec.refused = d.refused;
  if (d.notes.length) rec.notes = d.notes;
  if (step.send.length) rec.sent = step.send.map((x) => intentFields(x.intent));
  if (step.refused.length) rec.blocked = step.refused.map((x) => [x.intentId, ...x.failures.map((f) => `${f.code}: ${f.message}`)]);
  if (step.breaches.length) rec.breaches = step.breaches.map((b) => [b.action, b.strategyId ?? '*', b.reason]);
  if (step.alerts.length) rec.alerts = step.alerts;
  return JSON.stringify(rec);
}

/** The line for a step that came from the account or a closed trade (a breach), not from a decision. */
export function stepLogLine(time: number, step: CoreStep): string | null {
  if (step.send.length === 0 && step.breaches.length === 0 && step.alerts.length === 0) return null;
  const rec: Record<string, unknown> = { t: time, s: '*' };
  if (step.send.length) rec.sent = step.send.map((x) => intentFields(x.intent));
  if (step.breaches.length) rec.breaches = step.breaches.map((b) => [b.action, b.strategyId ?? '*', b.reason]);
  if (step.alerts.length) rec.alerts = step.alerts;
  return JSON.stringify(rec);
}
