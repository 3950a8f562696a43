/**
 * The shapes of the trading core's state on disk (src/engine/core/core-state.ts): a whole state and a delta, checked
 * before the core is given them. A file that parses as JSON but holds something else (`[]`, `42`, `null`, an object
 * without the core's fields, a figure that is text) is damage like a cut line: the start refuses it naming the file,
 * the line and the field — the core never restores from it (a TypeError at start, or worse NaN limits, or an empty
 * core for `null`). Each check returns what is wrong (the path of the field and what was expected), or undefined.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const ticket = (v: unknown) => typeof v === 'string' && /^\d+$/.test(v);

/** What a value is, in words: "an array", "null", "a string" … */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v === undefined) return 'nothing';
  const t = typeof v;
  return t === 'object' ? 'an object' : t === 'number' && !Number.isFinite(v) ? String(v) : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

const want = (path: string, what: string, got: unknown) => `"${path}" must be ${what}, got ${kindOf(got)}`;

/** Every value of `o` (an object) checked by `each`; the first problem. */
function entries(o: Obj, path: string, each: (v: unknown, p: string) => string | undefined): string | undefined {
  for (const [k, v] of Object.entries(o)) {
    const p = each(v, `${path}.${k}`);
    if (p) return p;
  }
  return undefined;
}

const NUMBERS = (o: Obj, path: string, keys: readonly string[]) => {
  for (const k of keys) if (!num(o[k])) return want(`${path}.${k}`, 'a number', o[k]);
  return undefined;
};

/** The account's figures (RiskState but its strategies). */
function riskProblem(r: unknown, path: string): string | undefined {
  if (!isObj(r)) return want(path, 'an object (the risk state)', r);
  const n = NUMBERS(r, path, ['day', 'dayStartBalance', 'equityPeak']);
  if (n) return n;
  const k = r.killSwitch;
  if (!isObj(k) || !num(k.lockedUntil)) return want(`${path}.killSwitch`, '{ lockedUntil: number, reason }', k);
  if (!isObj(r.acted)) return want(`${path}.acted`, 'an object', r.acted);
  return entries(r.acted, `${path}.acted`, (v, p) => (num(v) ? undefined : want(p, 'a number', v)));
}

/** A strategy's risk figures (StrategyRiskState). */
function strategyRiskProblem(s: unknown, path: string): string | undefined {
  if (!isObj(s)) return want(path, "an object (a strategy's risk figures)", s);
  const n = NUMBERS(s, path, ['day', 'dayRealized', 'trades', 'wins', 'grossProfit', 'grossLoss', 'lossStreak', 'cumulative', 'cumulativePeak']);
  if (n) return n;
  if (s.life !== undefined) {
    if (!isObj(s.life)) return want(`${path}.life`, 'an object', s.life);
    const l = NUMBERS(s.life, `${path}.life`, ['trades', 'wins', 'grossProfit', 'grossLoss']);
    if (l) return l;
  }
  if (s.paused !== undefined && !isObj(s.paused)) return want(`${path}.paused`, '{ reason, at }', s.paused);
  return undefined;
}

/** An intent in flight or waiting for a retry (the order manager's SerialFlight). */
function flightProblem(f: unknown, path: string): string | undefined {
  if (!isObj(f)) return want(path, 'an object (an intent in flight)', f);
  for (const k of ['id', 'logical', 'strategyId']) if (typeof f[k] !== 'string') return want(`${path}.${k}`, 'a string', f[k]);
  if (!num(f.attempt)) return want(`${path}.attempt`, 'a number', f.attempt);
  if (!isObj(f.intent)) return want(`${path}.intent`, 'an object', f.intent);
  if (!isObj(f.tag) || typeof f.tag.purpose !== 'string') return want(`${path}.tag`, '{ purpose, ticket? }', f.tag);
  if (f.tag.ticket !== undefined && !ticket(f.tag.ticket)) return want(`${path}.tag.ticket`, 'a ticket (digits, as a string)', f.tag.ticket);
  return undefined;
}

function ordersProblem(o: unknown, path: string): string | undefined {
  if (!isObj(o)) return want(path, 'an object (the order manager\'s state)', o);
  for (const k of ['inflight', 'retry'] as const) {
    const list = o[k];
    if (!Array.isArray(list)) return want(`${path}.${k}`, 'an array', list);
    for (const [i, f] of list.entries()) {
      const p = flightProblem(f, `${path}.${k}[${i}]`);
      if (p) return p;
    }
  }
  if (!Array.isArray(o.attempts)) return want(`${path}.attempts`, 'an array', o.attempts);
  for (const [i, a] of (o.attempts as unknown[]).entries()) {
    const ok = Array.isArray(a) && (a.length === 2 || (a.length === 3 && ticket(a[2]))) && typeof a[0] === 'string' && num(a[1]);
    if (!ok) return want(`${path}.attempts[${i}]`, '[logical id, tries, ticket?]', a);
  }
  return undefined;
}

/** A strategy's managed positions (SerialManagedPosition[]). */
function managedProblem(list: unknown, path: string): string | undefined {
  if (!Array.isArray(list)) return want(path, 'an array (the managed positions)', list);
  for (const [i, m] of list.entries()) {
    if (!isObj(m)) return want(`${path}[${i}]`, 'an object (a managed position)', m);
    if (!ticket(m.ticket)) return want(`${path}[${i}].ticket`, 'a ticket (digits, as a string)', m.ticket);
  }
  return undefined;
}

function haltedProblem(h: unknown, path: string): string | undefined {
  return isObj(h) && (h.status === 'paused' || h.status === 'stopped') ? undefined : want(path, '{ status: paused|stopped, reason, at }', h);
}

/** By key, each value checked by `each`; with `nulls`, null (gone) is allowed too (a delta). */
const byKey = (o: unknown, path: string, each: (v: unknown, p: string) => string | undefined, nulls: boolean) =>
  isObj(o) ? entries(o, path, (v, p) => (nulls && v === null ? undefined : each(v, p))) : want(path, 'an object', o);

/** What is wrong with a whole state of the core (CoreState), or undefined. */
export function coreStateProblem(s: unknown): string | undefined {
  if (!isObj(s)) return `expected the trading core's state (an object with "v": 1, "risk", "orders", "managed", "halted"), got ${kindOf(s)}`;
  if (s.v !== 1) return `"v" is ${JSON.stringify(s.v) ?? 'missing'}, expected 1 (not a core state of this version)`;
  const r = riskProblem(s.risk, 'risk');
  if (r) return r;
  const st = byKey((s.risk as Obj).strategies, 'risk.strategies', strategyRiskProblem, false);
  if (st) return st;
  const problem = ordersProblem(s.orders, 'orders') ?? byKey(s.managed, 'managed', managedProblem, false) ?? byKey(s.halted, 'halted', haltedProblem, false);
  if (problem) return problem;
  if (s.deals !== undefined) {
    const d = s.deals;
    if (!isObj(d) || !num(d.readTo)) return want('deals', '{ seen, readTo: number }', d);
    return byKey(d.seen, 'deals.seen', (v, p) => (num(v) ? undefined : want(p, 'a number', v)), false);
  }
  return undefined;
}

/** What is wrong with a delta of the core's state (CoreStateDelta), or undefined. */
export function coreDeltaProblem(d: unknown): string | undefined {
  if (!isObj(d)) return `expected a change of the trading core's state (an object with "risk", "rs", "orders", "halted", "managed", "deals", "readTo"), got ${kindOf(d)}`;
  const problem =
    riskProblem(d.risk, 'd.risk') ??
    byKey(d.rs, 'd.rs', strategyRiskProblem, true) ??
    ordersProblem(d.orders, 'd.orders') ??
    byKey(d.halted, 'd.halted', haltedProblem, true) ??
    byKey(d.managed, 'd.managed', managedProblem, true);
  if (problem) return problem;
  if (!Array.isArray(d.deals)) return want('d.deals', 'an array', d.deals);
  for (const [i, op] of (d.deals as unknown[]).entries()) {
    const ok = Array.isArray(op) && ((op.length === 2 && typeof op[0] === 'string' && num(op[1])) || (op.length === 1 && num(op[0])));
    if (!ok) return want(`d.deals[${i}]`, '[ticket key, time] or [keep-from time]', op);
  }
  if (!num(d.readTo)) return want('d.readTo', 'a number', d.readTo);
  return undefined;
}
