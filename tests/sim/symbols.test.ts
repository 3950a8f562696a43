/** The simulator's symbol presets found from a symbol as a broker names it (case, broker suffixes). */
import { describe, expect, it } from 'vitest';
import { SYMBOLS, resolveSymbol } from '../../src/sim/symbols.js';

describe('resolveSymbol', () => {
  it('an exact preset name is that preset, with no note', () => {
    for (const p of Object.keys(SYMBOLS)) expect(resolveSymbol(p)).toEqual({ preset: p, spec: SYMBOLS[p] });
  });

  it('a broker suffix or another case is the base preset, and the note says which specification stands in', () => {
    const cases: [string, string][] = [
      ['EURUSD.m', 'EURUSD'], ['EURUSDm', 'EURUSD'], ['EURUSD.pro', 'EURUSD'], ['EURUSD-ECN', 'EURUSD'], ['EURUSD_i', 'EURUSD'], ['EURUSD#', 'EURUSD'],
      ['eurusd', 'EURUSD'], ['xauusd', 'XAUUSD'], ['XAUUSDpro', 'XAUUSD'], ['usdjpy.m', 'USDJPY'], [' GBPUSD.r ', 'GBPUSD'],
    ];
    for (const [name, preset] of cases) {
      const m = resolveSymbol(name);
      expect(m?.preset, name).toBe(preset);
      expect(m!.spec).toBe(SYMBOLS[preset]);
      expect(m!.note).toBe(`${name.trim()} is simulated as ${preset}, with the simulator's ${preset} specification (${SYMBOLS[preset]!.digits} digits, contract size ${SYMBOLS[preset]!.contractSize}, volume step 0.01)`);
    }
  });

  it('refuses what is not a preset: another pair, an upper-case tail without a separator, a part of a name', () => {
    for (const name of ['GBPJPY', 'EURUSDT', 'EURUSDPRO', 'EUR', 'XEURUSD', '', 'EURUSD.toolongsuffix', 'eurusdt']) expect(resolveSymbol(name), name).toBeUndefined();
    // a micro, mini or cent account's symbol: another contract size than the preset's
    for (const name of ['EURUSDmicro', 'EURUSDmini', 'EURUSD.mini', 'EURUSDc', 'XAUUSD.cent', 'EURUSD-micro', 'EURUSD+mini', 'EURUSD!micro', 'EURUSD!c', 'EURUSD+c', 'EURUSD#cent']) expect(resolveSymbol(name), name).toBeUndefined();
  });
});
