/**
 * A POSITIONS or ORDERS message with none or one change — a field set, deleted or added, at the top or in one item of
 * its list — for the property tests of their fast paths.
 */
import fc from 'fast-check';

type Mutated<K extends string> = Record<string, unknown> & { [k in K]: Record<string, unknown>[] };

/** `valid` messages whose list is `key` (items of `fields` keys), each with none or one change. */
export function mutatedList<K extends string>(valid: fc.Arbitrary<Record<string, unknown>>, bad: fc.Arbitrary<unknown>, key: K, fields: number): fc.Arbitrary<Mutated<K>> {
  return fc.tuple(valid, fc.nat(6), bad, fc.nat(40), fc.nat(20)).map(([m, kind, v, at, col]) => {
    const o = structuredClone(m) as Mutated<K>;
    const keys = Object.keys(o);
    const list = o[key];
    const p = list.length ? list[at % list.length]! : undefined;
    const pk = p ? Object.keys(p)[col % fields]! : '';
    if (kind === 1) (o as Record<string, unknown>)[keys[at % keys.length]!] = v;
    else if (kind === 2) delete (o as Record<string, unknown>)[keys[at % keys.length]!];
    else if (kind === 3) (o as Record<string, unknown>).extra = v;
    else if (kind === 4 && p) p[pk] = v;
    else if (kind === 5 && p) delete p[pk];
    else if (kind === 6 && p) p.extra = v;
    return o;
  });
}

export const mutatedPositions = (valid: fc.Arbitrary<Record<string, unknown>>, bad: fc.Arbitrary<unknown>) => mutatedList(valid, bad, 'positions', 15);
