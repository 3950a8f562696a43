/**
 * Money, price and volume arithmetic without floating-point surprises.
 * Prices and money are rounded the way MT5 shows them (NormalizeDouble: half away from zero) after
 * removing binary representation noise (1.005 × 100 is 100.49999999999999 in binary, and is 100.5 here).
 */

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

function scaleOf(digits: number): number {
  const s = POW10[digits]; // undefined for anything but an integer 0..15
  if (s === undefined) throw new RangeError(`digits must be an integer 0..15, got ${digits}`);
  return s;
}

/** x × 10^digits rounded half away from zero, as an integer. */
export function toMinor(x: number, digits: number): number {
  const y = x * scaleOf(digits);
  const a = Math.abs(y);
  const frac = a - Math.floor(a);
  // only a value within binary noise of a .5 tie needs the careful path (1.005 × 100 = 100.49999999999999)
  if (Math.abs(frac - 0.5) > 1e-7 + a * 1e-14) {
    const r = Math.round(a);
    return y < 0 ? -r : r;
  }
  const scaled = Number(y.toPrecision(15));
  const r = Math.round(Math.abs(scaled));
  return scaled < 0 ? -r : r;
}

export function fromMinor(minor: number, digits: number): number {
  return minor / scaleOf(digits);
}

/** Round to `digits` decimals, half away from zero (MT5 NormalizeDouble). */
export function roundTo(x: number, digits: number): number {
  return fromMinor(toMinor(x, digits), digits);
}

/**
 * `a[i] = roundTo(a[i], digits)`: a hot loop keeps its prices in a Float64Array and rounds them there, so that no
 * number is boxed crossing a call (a double passed to or returned from a call that is not inlined is a new heap
 * number: four a bar were ~50 MB of garbage in a 1 M-bar backtest).
 */
export function roundInPlace(a: Float64Array, i: number, digits: number): void {
  // roundTo's common path written out (a call that is not inlined would box): toMinor's rounding away from a tie, then
  // fromMinor's division by the same scale
  const s = scaleOf(digits);
  const y = a[i]! * s;
  const ay = Math.abs(y);
  const frac = ay - Math.floor(ay);
  if (Math.abs(frac - 0.5) > 1e-7 + ay * 1e-14) {
    const r = Math.round(ay);
    a[i] = (y < 0 ? -r : r) / s;
  } else a[i] = roundTo(a[i]!, digits); // within binary noise of a tie: toMinor's careful path
}

/** 10^digits, what `fromMinor` divides by (digits an integer 0..15): a hot loop divides by it itself. */
export function minorScale(digits: number): number {
  return scaleOf(digits);
}

/**
 * Math.round(Number(q.toPrecision(p))) without toPrecision (slow) unless q is within binary noise of a .5
 * tie — the only case where dropping the noise can change the result. Identical results (tested).
 */
function roundCleaned(q: number, precision: number): number {
  if (q === 0) return 0; // -0 too, as toPrecision gives
  const f = q - Math.floor(q);
  // (beyond 1e11 toPrecision could also change the whole part: keep the exact old path there)
  if (Math.abs(q) < 1e11 && Math.abs(f - 0.5) > 1e-9 * Math.max(1, Math.abs(q))) return Math.round(q);
  return Math.round(Number(q.toPrecision(precision)));
}

/** Number of whole `step`s in `volume` (tolerant of binary noise like 0.30000000000000004). */
export function volumeSteps(volume: number, step: number): number {
  return roundCleaned(volume / step, 12);
}

/** True when `volume` is a whole number of `step`s. */
export function isVolumeStepMultiple(volume: number, step: number): boolean {
  const k = volumeSteps(volume, step);
  return Math.abs(k * step - volume) <= step * 1e-8;
}

/** Decimals needed to show a step (0.01 → 2, 0.1 → 1, 1 → 0). */
export function stepDigits(step: number): number {
  // the last step asked for and its answer (a symbol's one volume step, asked several times a deal)
  if (step === lastStep) return lastStepDigits;
  let d = 0;
  while (d < 10 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-9) d++;
  lastStep = step;
  lastStepDigits = d;
  return d;
}
let lastStep = NaN;
let lastStepDigits = 0;

/** k steps as a clean number (3 × 0.1 → 0.3, not 0.30000000000000004). */
export function stepsToVolume(k: number, step: number): number {
  return roundTo(k * step, stepDigits(step));
}

/** Round a volume DOWN to the step (never round risk up). */
export function floorVolume(volume: number, step: number): number {
  const q = volume / step;
  if (q > 0 && q < 1e11) {
    const fl = Math.floor(q), e = 1 - (q - fl);
    // clear of the next whole number (on a whole number, just above one, or between): rounding q to 12 digits
    // cannot reach fl + 1, nor go below fl (fl has at most 11 digits), so the floor is fl
    if (e > 1e-9 * Math.max(1, q)) return stepsToVolume(fl, step);
    // just below the next whole number, closer than half the 12th digit (> 5e-13 × q): rounding gives fl + 1
    if (e < 4e-13 * q) return stepsToVolume(fl + 1, step);
  }
  const f = q - Math.floor(q);
  const noise = 1e-9 * Math.max(1, Math.abs(q));
  // toPrecision only matters within binary noise of a whole number (2.9999999999999996 steps are 3)
  const k = q === 0 ? 0 : Math.abs(q) < 1e11 && f > noise && f < 1 - noise ? Math.floor(q) : Math.floor(Number(q.toPrecision(12)));
  return stepsToVolume(k, step);
}

/** Price rounded to the symbol's tick size and digits. */
export function roundPrice(price: number, tickSize: number, digits: number): number {
  const ticks = roundCleaned(price / tickSize, 15);
  return roundTo(ticks * tickSize, digits);
}

export function isOnTick(price: number, tickSize: number, digits: number): boolean {
  return Math.abs(roundPrice(price, tickSize, digits) - price) <= tickSize * 1e-6;
}
