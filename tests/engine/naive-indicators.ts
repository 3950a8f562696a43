/**
 * A second, deliberately naive implementation of every indicator, written from the formulas in
 * docs/indicators.md: whole arrays, windows recomputed from scratch on every bar, no streaming state.
 * NaN marks "no value" (before MT5 draws). Used only by tests, to check src/engine/indicators.ts.
 */
import type { BarSeries } from '../../src/engine/bars.js';

type A = number[];
const nan = (n: number): A => new Array(n).fill(NaN);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const maxOf = (xs: number[]) => Math.max(...xs);
const minOf = (xs: number[]) => Math.min(...xs);

export function price(s: BarSeries, p: string): A {
  return Array.from({ length: s.length }, (_, i) => {
    const [o, h, l, c] = [s.open[i]!, s.high[i]!, s.low[i]!, s.close[i]!];
    return p === 'open' ? o : p === 'high' ? h : p === 'low' ? l : p === 'median' ? (h + l) / 2 : p === 'typical' ? (h + l + c) / 3 : p === 'weighted' ? (h + l + 2 * c) / 4 : c;
  });
}

export function sma(x: A, n: number): A {
  return x.map((_, i) => (i < n - 1 ? NaN : sum(x.slice(i - n + 1, i + 1)) / n));
}

/** The EMA recursion from the first value (what MT5 keeps internally), unmasked. */
export function emaRaw(x: A, n: number): A {
  const k = 2 / (n + 1);
  const out: A = [];
  x.forEach((v, i) => out.push(i === 0 ? v : v * k + out[i - 1]! * (1 - k)));
  return out;
}

export function ema(x: A, n: number): A {
  return emaRaw(x, n).map((v, i) => (i < n - 1 ? NaN : v));
}

export function smma(x: A, n: number): A {
  const out = nan(x.length);
  for (let i = n - 1; i < x.length; i++) out[i] = i === n - 1 ? sum(x.slice(0, n)) / n : (out[i - 1]! * (n - 1) + x[i]!) / n;
  return out;
}

export function lwma(x: A, n: number): A {
  return x.map((_, i) => (i < n - 1 ? NaN : sum(range(0, n - 1).map((j) => (n - j) * x[i - j]!)) / ((n * (n + 1)) / 2)));
}

export function rsi(x: A, n: number): A {
  const out = nan(x.length);
  const ups = x.map((v, i) => (i === 0 ? 0 : Math.max(v - x[i - 1]!, 0)));
  const dns = x.map((v, i) => (i === 0 ? 0 : Math.max(x[i - 1]! - v, 0)));
  let g = 0, l = 0;
  for (let i = n; i < x.length; i++) {
    if (i === n) {
      g = sum(ups.slice(1, n + 1)) / n;
      l = sum(dns.slice(1, n + 1)) / n;
    } else {
      g = (g * (n - 1) + ups[i]!) / n;
      l = (l * (n - 1) + dns[i]!) / n;
    }
    out[i] = l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l);
  }
  return out;
}

export function macd(x: A, f: number, sl: number, sg: number): { main: A; signal: A } {
  const ef = emaRaw(x, f), es = emaRaw(x, sl);
  const main = x.map((_, i) => ef[i]! - es[i]!);
  return { main, signal: sma(main, sg) };
}

export function bb(x: A, n: number, d: number): { upper: A; middle: A; lower: A } {
  const mid = sma(x, n);
  const sd = x.map((_, i) => (i < n ? NaN : Math.sqrt(sum(x.slice(i - n + 1, i + 1).map((v) => (v - mid[i]!) ** 2)) / n)));
  return {
    upper: mid.map((m, i) => (i < n ? NaN : m + d * sd[i]!)),
    middle: mid.map((m, i) => (i < n ? NaN : m)),
    lower: mid.map((m, i) => (i < n ? NaN : m - d * sd[i]!)),
  };
}

export function stoch(s: BarSeries, k: number, d: number, sl: number, method = 'sma', field = 'lowhigh'): { main: A; signal: A } {
  const n = s.length;
  const H = field === 'closeclose' ? s.close : s.high;
  const Lo = field === 'closeclose' ? s.close : s.low;
  const hh = (i: number) => maxOf(range(i - k + 1, i).map((j) => H[j]!));
  const ll = (i: number) => minOf(range(i - k + 1, i).map((j) => Lo[j]!));
  const mainRaw = range(0, n - 1).map((i) => {
    if (i < k + sl - 2) return 0;
    const js = range(i - sl + 1, i);
    const den = sum(js.map((j) => hh(j) - ll(j)));
    return den === 0 ? 100 : (sum(js.map((j) => s.close[j]! - ll(j))) / den) * 100;
  });
  const sig = method === 'ema' ? emaRaw(mainRaw, d) : method === 'smma' ? smma(mainRaw, d) : method === 'lwma' ? lwma(mainRaw, d) : mainRaw.map((_, i) => (i < d - 1 ? NaN : sum(mainRaw.slice(i - d + 1, i + 1)) / d));
  return {
    main: mainRaw.map((v, i) => (i < k + sl - 2 ? NaN : v)),
    signal: sig.map((v, i) => (i < k + d ? NaN : v)),
  };
}

export function tr(s: BarSeries): A {
  return range(0, s.length - 1).map((i) => (i === 0 ? 0 : Math.max(s.high[i]!, s.close[i - 1]!) - Math.min(s.low[i]!, s.close[i - 1]!)));
}

export function atr(s: BarSeries, n: number): A {
  const t = tr(s);
  return t.map((_, i) => (i < n ? NaN : sum(t.slice(i - n + 1, i + 1)) / n));
}

function dmi(s: BarSeries, i: number): { up: number; dn: number; tr: number } {
  let up = Math.max(s.high[i]! - s.high[i - 1]!, 0);
  let dn = Math.max(s.low[i - 1]! - s.low[i]!, 0);
  if (up === dn) up = dn = 0;
  else if (up > dn) dn = 0;
  else up = 0;
  const c = s.close[i - 1]!;
  return { up, dn, tr: Math.max(s.high[i]! - s.low[i]!, Math.abs(s.high[i]! - c), Math.abs(s.low[i]! - c)) };
}

export function adx(s: BarSeries, n: number): { adx: A; plusDi: A; minusDi: A } {
  const k = 2 / (n + 1);
  const p = [0], m = [0], a = [0];
  for (let i = 1; i < s.length; i++) {
    const { up, dn, tr: t } = dmi(s, i);
    p.push((t ? (100 * up) / t : 0) * k + p[i - 1]! * (1 - k));
    m.push((t ? (100 * dn) / t : 0) * k + m[i - 1]! * (1 - k));
    const dx = p[i]! + m[i]! ? 100 * Math.abs((p[i]! - m[i]!) / (p[i]! + m[i]!)) : 0;
    a.push(dx * k + a[i - 1]! * (1 - k));
  }
  return { adx: a.map((v, i) => (i < 2 * n ? NaN : v)), plusDi: p.map((v, i) => (i < n ? NaN : v)), minusDi: m.map((v, i) => (i < n ? NaN : v)) };
}

export function adxw(s: BarSeries, n: number): { adx: A; plusDi: A; minusDi: A } {
  let atrw = 0, pds = 0, nds = 0, ax = 0;
  const a = nan(s.length), p = nan(s.length), m = nan(s.length);
  for (let i = 1; i < s.length; i++) {
    const { up, dn, tr: t } = dmi(s, i);
    if (i >= n) {
      atrw = (atrw * (n - 1) + t) / n;
      pds = (pds * (n - 1) + up) / n;
      nds = (nds * (n - 1) + dn) / n;
    }
    const pdi = atrw ? (100 * pds) / atrw : 0;
    const ndi = atrw ? (100 * nds) / atrw : 0;
    const dx = pdi + ndi ? 100 * Math.abs((pdi - ndi) / (pdi + ndi)) : 0;
    ax = i < n - 1 ? 0 : (ax * (n - 1) + dx) / n;
    if (i >= 2 * n) a[i] = ax;
    if (i >= n + 1) {
      p[i] = pdi;
      m[i] = ndi;
    }
  }
  return { adx: a, plusDi: p, minusDi: m };
}

export function cci(x: A, n: number): A {
  return x.map((v, i) => {
    if (i < n - 1) return NaN;
    const w = x.slice(i - n + 1, i + 1);
    const mean = sum(w) / n;
    const md = sum(w.map((u) => Math.abs(u - mean))) / n;
    return md === 0 ? 0 : (v - mean) / (0.015 * md);
  });
}

export function wpr(s: BarSeries, n: number): A {
  const out = nan(s.length);
  let prev = 0;
  for (let i = n - 1; i < s.length; i++) {
    const hh = maxOf(range(i - n + 1, i).map((j) => s.high[j]!));
    const ll = minOf(range(i - n + 1, i).map((j) => s.low[j]!));
    out[i] = hh === ll ? prev : (-100 * (hh - s.close[i]!)) / (hh - ll);
    prev = out[i]!;
  }
  return out;
}

export function ichimoku(s: BarSeries, t: number, k: number, sb: number): Record<string, A> {
  const mid = (i: number, w: number) => {
    const js = range(Math.max(0, i - w + 1), i);
    return (maxOf(js.map((j) => s.high[j]!)) + minOf(js.map((j) => s.low[j]!))) / 2;
  };
  const idx = range(0, s.length - 1);
  return {
    tenkan: idx.map((i) => (i < t ? NaN : mid(i, t))),
    kijun: idx.map((i) => (i < k ? NaN : mid(i, k))),
    senkouA: idx.map((i) => (i < sb - 1 ? NaN : (mid(i, t) + mid(i, k)) / 2)),
    senkouB: idx.map((i) => (i < sb - 1 ? NaN : mid(i, sb))),
    chikou: idx.map((i) => s.close[i]!),
  };
}

export function obv(s: BarSeries): A {
  const out: A = [s.tickVolume[0]!];
  for (let i = 1; i < s.length; i++) {
    const d = s.close[i]! - s.close[i - 1]!;
    out.push(out[i - 1]! + (d > 0 ? s.tickVolume[i]! : d < 0 ? -s.tickVolume[i]! : 0));
  }
  return out;
}

export function momentum(x: A, n: number): A {
  return x.map((v, i) => (i < n ? NaN : (v / x[i - n]!) * 100));
}

export function roc(x: A, n: number): A {
  return x.map((v, i) => (i < n ? NaN : v === 0 ? 0 : ((v - x[i - n]!) / v) * 100));
}

export function demarker(s: BarSeries, n: number): A {
  const mx = range(0, s.length - 1).map((i) => (i > 0 && s.high[i]! > s.high[i - 1]! ? s.high[i]! - s.high[i - 1]! : 0));
  const mn = range(0, s.length - 1).map((i) => (i > 0 && s.low[i - 1]! > s.low[i]! ? s.low[i - 1]! - s.low[i]! : 0));
  return mx.map((_, i) => {
    if (i < n) return NaN;
    const a = sum(mx.slice(i - n + 1, i + 1)) / n;
    const b = sum(mn.slice(i - n + 1, i + 1)) / n;
    return a + b === 0 ? 0 : a / (a + b);
  });
}

/** Parabolic SAR by MT5's array algorithm (the last bar's value is final here: every bar is closed). */
export function sar(s: BarSeries, step: number, max: number): A {
  const n = s.length;
  const S = nan(n), EP = nan(n), AF = nan(n);
  const H = s.high, L = s.low;
  S[0] = H[0]!;
  if (n < 2) return S;
  let long = false, last = 0;
  AF[0] = AF[1] = step;
  S[1] = Math.max(H[0]!, H[1]!);
  EP[0] = EP[1] = L[1]!;
  for (let i = 1; i < n; i++) {
    if (long && S[i]! > L[i]!) {
      long = false;
      S[i] = maxOf(range(last, i).map((j) => H[j]!));
      EP[i] = L[i]!;
      last = i;
      AF[i] = step;
    } else if (!long && S[i]! < H[i]!) {
      long = true;
      S[i] = minOf(range(last, i).map((j) => L[j]!));
      EP[i] = H[i]!;
      last = i;
      AF[i] = step;
    }
    if (i !== last) {
      const better = long ? H[i]! > EP[i - 1]! : L[i]! < EP[i - 1]!;
      EP[i] = better ? (long ? H[i]! : L[i]!) : EP[i - 1]!;
      AF[i] = better ? Math.min(AF[i - 1]! + step, max) : AF[i - 1]!;
    }
    if (i + 1 < n) {
      let nx = S[i]! + AF[i]! * (EP[i]! - S[i]!);
      if (long && (nx > L[i]! || nx > L[i - 1]!)) nx = Math.min(L[i]!, L[i - 1]!);
      if (!long && (nx < H[i]! || nx < H[i - 1]!)) nx = Math.max(H[i]!, H[i - 1]!);
      S[i + 1] = nx;
    }
  }
  return S;
}

export function vwapDay(s: BarSeries): A {
  const x = price(s, 'typical');
  return x.map((_, i) => {
    const day = Math.floor(s.time[i]! / 86400);
    let pv = 0, v = 0;
    for (let j = i; j >= 0 && Math.floor(s.time[j]! / 86400) === day; j--) {
      pv += x[j]! * s.tickVolume[j]!;
      v += s.tickVolume[j]!;
    }
    return v > 0 ? pv / v : x[i]!;
  });
}
