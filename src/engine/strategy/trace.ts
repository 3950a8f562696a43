/**
 * What a rule evaluation says about itself: each condition's operands and result, each group's logic and result
 * (the trace), and one log line per condition.
 */
import type { Timeframe } from '../../protocol/messages.js';

export interface ConditionTrace {
  path: string;
  text: string;
  timeframe: Timeframe;
  left: number | null;
  right: number | null;
  leftPrev?: number | null;
  rightPrev?: number | null;
  result: boolean;
  required: boolean;
}

export interface GroupTrace {
  path: string;
  logic: 'AND' | 'OR';
  result: boolean;
  children: (GroupTrace | ConditionTrace)[];
}

export interface Evaluation {
  /** Evaluation time: the close time of the strategy's bar, s (server time). */
  time: number;
  signal: 'BUY' | 'SELL' | null;
  long?: GroupTrace;
  short?: GroupTrace;
  /** The exit conditions of long positions (and of both sides for a side-less rule set). */
  exit?: GroupTrace;
  /** The exit conditions of short positions (absent when they are the long ones). */
  exitShort?: GroupTrace;
  /** Both directions held at once: no signal. */
  conflict: boolean;
}


/** One line per condition, for logs: "✓ ema_9 crosses_above ema_21 [H1] 1.08612 > 1.08598 (was 1.08590 ≤ 1.08601)". */
export function formatTrace(t: GroupTrace, indent = ''): string[] {
  const lines: string[] = [];
  for (const c of t.children) {
    if ('logic' in c) {
      lines.push(`${indent}${c.result ? '+' : '-'} ${c.logic} group`);
      lines.push(...formatTrace(c, indent + '  '));
    } else {
      const v = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : Number(x.toPrecision(8)).toString());
      const prev = c.leftPrev !== undefined ? ` (before: ${v(c.leftPrev)} vs ${v(c.rightPrev)})` : '';
      lines.push(`${indent}${c.result ? '+' : '-'} ${c.text}: ${v(c.left)}${c.right !== null ? ` vs ${v(c.right)}` : ''}${prev}`);
    }
  }
  return lines;
}
