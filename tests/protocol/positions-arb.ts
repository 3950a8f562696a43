/** A POSITIONS message with none or one change — a field set, deleted or added, at the top or in one position — for the property tests of its fast paths. */
import fc from 'fast-check';

export function mutatedPositions(valid: fc.Arbitrary<Record<string, unknown>>, bad: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown> & { positions: Record<string, unknown>[] }> {
  return fc.tuple(valid, fc.nat(6), bad, fc.nat(40), fc.nat(20)).map(([m, kind, v, at, col]) => {
    const o = structuredClone(m) as Record<string, unknown> & { positions: Record<string, unknown>[] };
    const keys = Object.keys(o);
    const p = o.positions.length ? o.positions[at % o.positions.length]! : undefined;
    const pk = p ? Object.keys(p)[col % 15]! : '';
    if (kind === 1) o[keys[at % keys.length]!] = v;
    else if (kind === 2) delete o[keys[at % keys.length]!];
    else if (kind === 3) o.extra = v;
    else if (kind === 4 && p) p[pk] = v;
    else if (kind === 5 && p) delete p[pk];
    else if (kind === 6 && p) p.extra = v;
    return o;
  });
}
