/**
 * manageExits as it was written before its no-allocation form (a fresh decision and four closures a call): the
 * reference the exit manager's property test compares it with, call for call, position state included.
 */
import type { IntentBody } from '../../src/protocol/messages.js';
import type { IntentTag } from '../../src/engine/core/order-manager.js';
import type { ExitMarket, ExitSymbol, ManagedPosition } from '../../src/engine/exits.js';
import { intentIdFor } from '../../src/engine/ids.js';
import { floorVolume, roundPrice, stepsToVolume, volumeSteps } from '../../src/engine/money.js';
import type { NormalizedStrategy } from '../../src/engine/strategy/normalize.js';

type Exit = NormalizedStrategy['exit'];

export function manageExitsAsBefore(p: ManagedPosition, m: ExitMarket, x: Exit, s: ExitSymbol, magic: number, idBase: string): { intents: IntentBody[]; tags: IntentTag[]; notes: string[] } {
  const out: { intents: IntentBody[]; tags: IntentTag[]; notes: string[] } = { intents: [], tags: [], notes: [] };
  const dir = p.side === 0 ? 1 : -1;
  const price = p.side === 0 ? m.bid : m.ask; // the price the position would close at
  // thresholds compare whole points: 1.101 − 1.1 is 0.000999999999999889 in binary, and must count as 10 pips
  const pts = (d: number) => Math.round(d / s.point);
  const profit = pts((price - p.entry) * dir);
  const R = pts(p.risk);
  const id = (what: string) => intentIdFor(idBase, `${p.ticket}|${what}`);
  const px = (v: number) => roundPrice(v, s.tickSize, s.digits);

  // time exit first: nothing else matters for a position that has to go
  if (x.maxHoldingHours !== undefined && m.time - p.openTime >= x.maxHoldingHours * 3600) {
    out.intents.push({ type: 'CLOSE', intentId: id('time'), magic, ticket: p.ticket, volume: 0, deviation: 20 });
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
        out.notes.push(`partial ${k + 1} at ${lv.atRR}R: ${lv.percentage} % of ${p.initialVolume} is below the minimum volume ${s.volumeMin}: skipped`);
        p.partialsDone = k + 1;
        continue;
      }
      out.intents.push({ type: 'CLOSE', intentId: id(`partial${k + 1}`), magic, ticket: p.ticket, volume: vol, deviation: 20 });
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
  const better = (a: number, b: number) => (b === 0 ? true : dir > 0 ? a > b : a < b);
  if (x.breakEven && !p.breakEvenDone && R > 0 && profit >= x.breakEven.atRR * R) {
    const be = px(p.entry + dir * x.breakEven.offsetPips * s.pip);
    if (better(be, want)) want = be;
    p.breakEvenDone = true;
    beFired = true;
    out.notes.push(`break-even at ${x.breakEven.atRR}R: stop to ${be}`);
  }
  if (x.trailing) {
    const t = x.trailing;
    const active = profit >= pts(t.activationPips * s.pip) && (t.activationRR === undefined || (R > 0 && profit >= t.activationRR * R));
    const dist = t.distancePips !== undefined ? t.distancePips * s.pip : (t.atrMult ?? 0) * m.atr;
    if (active && dist > 0 && Number.isFinite(dist)) {
      const trail = px(price - dir * dist);
      if (better(trail, want)) want = trail;
    }
  }
  if (want !== p.sl && better(want, p.sl)) {
    // stops level: the stop must be at least stopsLevel points from the price it closes at
    const minDist = s.stopsLevel * s.point;
    if ((price - want) * dir < minDist - s.point * 1e-6) {
      const allowed = px(price - dir * minDist);
      if (!better(allowed, p.sl)) {
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
    out.intents.push({ type: 'MODIFY', intentId: id(`sl${Math.round(want / s.tickSize)}`), magic, ticket: p.ticket, sl: want, tp: p.tp });
    out.tags.push({ purpose: 'stop', ticket: p.ticket, ...(beFired ? { breakEven: true } : {}) });
    out.notes.push(`stop ${p.sl} → ${want}`);
    p.sl = want;
  }
  return out;
}
