/**
 * Managing an open position: break-even, trailing stop, partial exits at R multiples and the time exit.
 * Pure: a position's state and the market in, intents out (MODIFY moves the stop on the broker's server, so a
 * host crash leaves the last protective stop in place; CLOSE with a volume takes a partial).
 * The stop is only ever moved in the position's favour; every move respects the stops level (a new stop too
 * close to the price is pushed back to the nearest allowed level) and the freeze level (no modification while
 * the price is within it of the current stop or target — refused with the reason).
 */
import type { IntentBody } from '../protocol/messages.js';
import type { IntentTag } from './core/order-manager.js';
import { intentIdFor } from './ids.js';
import { floorVolume, roundPrice, stepsToVolume, volumeSteps } from './money.js';
import type { NormalizedStrategy } from './strategy/normalize.js';

export interface ExitSymbol {
  digits: number;
  point: number;
  tickSize: number;
  stopsLevel: number;
  freezeLevel: number;
  volumeMin: number;
  volumeStep: number;
  /** pip size (10 points on 3/5-digit quotes) */
  pip: number;
}

/** What the manager remembers about a position (kept by the runner; rebuilt from the ledger after a restart). */
export interface ManagedPosition {
  ticket: bigint;
  side: 0 | 1;
  entry: number;
  /** Volume at open (partial percentages refer to it). */
  initialVolume: number;
  volume: number;
  sl: number;
  tp: number;
  /** |entry − initial stop|: one R. 0 when opened without a stop. */
  risk: number;
  openTime: number;
  partialsDone: number;
  breakEvenDone: boolean;
}

export interface ExitMarket {
  bid: number;
  ask: number;
  time: number;
  /** ATR in price units (for ATR trailing), NaN if unknown. */
  atr: number;
}

export interface ExitDecision {
  readonly intents: readonly IntentBody[];
  /** Why each intent was proposed (parallel to `intents`): the order manager's lifecycle and retries read it. */
  readonly tags: readonly IntentTag[];
  readonly notes: readonly string[];
}

/**
 * The decision of a call that proposes nothing and notes nothing — most calls: a trailed position whose stop does not
 * move — shared and frozen (a backtest manages a position on every bar it is open: a new empty decision each time was
 * four objects of garbage a bar).
 */
export const NO_EXIT_DECISION: ExitDecision = Object.freeze({ intents: Object.freeze([]), tags: Object.freeze([]), notes: Object.freeze([]) });

/** A decision's own lists, made at its first intent or note. */
interface Building {
  intents: IntentBody[];
  tags: IntentTag[];
  notes: string[];
}

const building = (): Building => ({ intents: [], tags: [], notes: [] });

type Exit = NormalizedStrategy['exit'];

/** Do these exit rules manage an open position at all? (If not, manageExits never emits anything: skip it.) */
export function managesPositions(x: Exit): boolean {
  return x.maxHoldingHours !== undefined || x.takeProfit?.type === 'partial' || !!x.breakEven || !!x.trailing;
}

export function manageExits(p: ManagedPosition, m: ExitMarket, x: Exit, s: ExitSymbol, magic: number, idBase: string): ExitDecision {
  let out: Building | undefined; // made at the first intent or note (most calls have neither)
  const dir = p.side === 0 ? 1 : -1;
  const price = p.side === 0 ? m.bid : m.ask; // the price the position would close at
  // thresholds compare whole points (pts): 1.101 − 1.1 is 0.000999999999999889 in binary, and must count as 10 pips
  const profit = pts((price - p.entry) * dir, s);
  const R = pts(p.risk, s);

  // time exit first: nothing else matters for a position that has to go
  if (x.maxHoldingHours !== undefined && m.time - p.openTime >= x.maxHoldingHours * 3600) {
    out = building();
    out.intents.push({ type: 'CLOSE', intentId: exitId(idBase, p, 'time'), magic, ticket: p.ticket, volume: 0, deviation: 20 });
    out.tags.push({ purpose: 'close', ticket: p.ticket });
    out.notes.push(`held ${((m.time - p.openTime) / 3600).toFixed(1)} h ≥ ${x.maxHoldingHours} h: close`);
    return out;
  }

  // partial exits at R multiples
  if (x.takeProfit?.type === 'partial' && R > 0) {
    const levels = x.takeProfit.levels;
    for (let k = p.partialsDone; k < levels.length - 1; k++) {
      const lv = levels[k]!;
      if (profit < lv.atRR * R) break;
      let vol = floorVolume((p.initialVolume * lv.percentage) / 100, s.volumeStep);
      const rest = stepsToVolume(volumeSteps(p.volume, s.volumeStep) - volumeSteps(vol, s.volumeStep), s.volumeStep);
      if (rest > 0 && rest < s.volumeMin - 1e-12) vol = p.volume; // a remainder below the minimum cannot stay open
      if (vol < s.volumeMin - 1e-12) {
        (out ??= building()).notes.push(`partial ${k + 1} at ${lv.atRR}R: ${lv.percentage} % of ${p.initialVolume} is below the minimum volume ${s.volumeMin}: skipped`);
        p.partialsDone = k + 1;
        continue;
      }
      out ??= building();
      out.intents.push({ type: 'CLOSE', intentId: exitId(idBase, p, `partial${k + 1}`), magic, ticket: p.ticket, volume: vol, deviation: 20 });
      out.tags.push(vol === p.volume ? { purpose: 'close', ticket: p.ticket } : { purpose: 'partial', ticket: p.ticket, level: k + 1 });
      out.notes.push(`partial ${k + 1} at ${lv.atRR}R: close ${vol} of ${p.volume} (the rest keeps its SL/TP)`);
      p.partialsDone = k + 1;
      p.volume = stepsToVolume(volumeSteps(p.volume, s.volumeStep) - volumeSteps(vol, s.volumeStep), s.volumeStep);
      if (p.volume <= 0) return out;
    }
  }

  // the stop: break-even and trailing propose levels; the best one that improves the stop wins
  let want = p.sl;
  let beFired = false; // break-even set its flag in this call: a refused MODIFY must clear it again
  if (x.breakEven && !p.breakEvenDone && R > 0 && profit >= x.breakEven.atRR * R) {
    const be = roundPrice(p.entry + dir * x.breakEven.offsetPips * s.pip, s.tickSize, s.digits);
    if (better(dir, be, want)) want = be;
    p.breakEvenDone = true;
    beFired = true;
    (out ??= building()).notes.push(`break-even at ${x.breakEven.atRR}R: stop to ${be}`);
  }
  if (x.trailing) {
    const t = x.trailing;
    const active = profit >= pts(t.activationPips * s.pip, s) && (t.activationRR === undefined || (R > 0 && profit >= t.activationRR * R));
    const dist = t.distancePips !== undefined ? t.distancePips * s.pip : (t.atrMult ?? 0) * m.atr;
    if (active && dist > 0 && Number.isFinite(dist)) {
      const trail = roundPrice(price - dir * dist, s.tickSize, s.digits);
      if (better(dir, trail, want)) want = trail;
    }
  }
  if (want !== p.sl && better(dir, want, p.sl)) {
    out ??= building();
    // stops level: the stop must be at least stopsLevel points from the price it closes at
    const minDist = s.stopsLevel * s.point;
    if ((price - want) * dir < minDist - s.point * 1e-6) {
      const allowed = roundPrice(price - dir * minDist, s.tickSize, s.digits);
      if (!better(dir, allowed, p.sl)) {
        out.notes.push(`stop ${want} is inside the stops level (${s.stopsLevel} points): no move`);
        if (beFired) p.breakEvenDone = false; // not placed: break-even is tried again on a later bar
        return out;
      }
      out.notes.push(`stop ${want} is inside the stops level: moved back to ${allowed}`);
      want = allowed;
    }
    // freeze level: no change while the price is within it of the current stop or target
    const fz = s.freezeLevel * s.point;
    if (fz > 0 && ((p.sl > 0 && Math.abs(price - p.sl) < fz) || (p.tp > 0 && Math.abs(price - p.tp) < fz))) {
      out.notes.push(`price within the freeze level (${s.freezeLevel} points) of the stop or target: not modified`);
      if (beFired) p.breakEvenDone = false;
      return out;
    }
    out.intents.push({ type: 'MODIFY', intentId: exitId(idBase, p, `sl${Math.round(want / s.tickSize)}`), magic, ticket: p.ticket, sl: want, tp: p.tp });
    out.tags.push({ purpose: 'stop', ticket: p.ticket, ...(beFired ? { breakEven: true } : {}) });
    out.notes.push(`stop ${p.sl} → ${want}`);
    p.sl = want;
  }
  return out ?? NO_EXIT_DECISION;
}

/** A price distance in whole points of the symbol. */
function pts(d: number, s: ExitSymbol): number {
  return Math.round(d / s.point);
}

/** The id of the intent on position p for `what` (intentIdFor of the strategy's id base). */
function exitId(idBase: string, p: ManagedPosition, what: string): string {
  return intentIdFor(idBase, `${p.ticket}|${what}`);
}

/** Is stop a better than stop b for a position of direction dir (any stop is better than none, 0)? */
function better(dir: number, a: number, b: number): boolean {
  return b === 0 ? true : dir > 0 ? a > b : a < b;
}
