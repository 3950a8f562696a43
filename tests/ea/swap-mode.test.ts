/**
 * The symbol's swap mode from the terminal to the simulated broker, end to end with the real EA (its MQL5 source built
 * and run by the mql-test-harness): the EA sends SYMBOL_SWAP_MODE in SPEC, and `start --paper` charges the swap in
 * that mode — here annual interest on the open price, where points would charge another amount.
 */
import { describe, expect, it } from 'vitest';
import { SYMBOL_SWAP_MODE } from '../../src/protocol/mt5.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { makeBroker, until } from '../helpers.js';
import { H1, bridgeEaSuite, h1Bars, wholeHostWithEa } from './helpers.js';

const { binary, eaRig } = bridgeEaSuite();

/** EURUSD charging annual interest on the open price (-2.5 % a year long), GBPUSD reopening at the bid. */
const brokerWithModes = () =>
  makeBroker({}, [
    symbolSpec('EURUSD', { commissionPerLot: 0, swapMode: SYMBOL_SWAP_MODE.INTEREST_OPEN, swapLong: -2.5, swapShort: 0.5 }),
    symbolSpec('GBPUSD', { commissionPerLot: 0, swapMode: SYMBOL_SWAP_MODE.REOPEN_BID }),
    symbolSpec('USDJPY', { commissionPerLot: 0, swapMode: SYMBOL_SWAP_MODE.CURRENCY_PROFIT }),
  ]);

describe('the swap mode, from the terminal to the simulated broker (the real EA)', () => {
  it('the EA sends SYMBOL_SWAP_MODE in SPEC', async () => {
    const broker = brokerWithModes();
    const { terminal } = await eaRig({ broker });
    const eu = await terminal.spec('EURUSD');
    expect(eu.swapMode).toBe(SYMBOL_SWAP_MODE.INTEREST_OPEN);
    expect(eu).toEqual(broker.spec('EURUSD'));
    expect((await terminal.spec('GBPUSD')).swapMode).toBe(SYMBOL_SWAP_MODE.REOPEN_BID);
    // the EA gives the protocol's code by the MQL5 identifier (EB_SwapModeCode): the mode MT5 added last too
    expect((await terminal.spec('USDJPY')).swapMode).toBe(SYMBOL_SWAP_MODE.CURRENCY_PROFIT);
  }, 60_000);

  it('start --paper charges the terminal\'s swap mode at the rollover, and warns of a mode it cannot simulate', async () => {
    const broker = brokerWithModes();
    const { host, ea, lines } = await wholeHostWithEa(binary(), broker, true);
    // Thursday 2019-02-21, 18:00 server time
    const t0 = H1.time[100]! * 1000;
    ea.addBars('EURUSD', 'H1', h1Bars(0, 100));
    ea.tick('EURUSD', 1.13, 1.13002, t0);
    ea.tick('GBPUSD', 1.3, 1.30003, t0);
    expect(await ea.start()).toBe(0);
    await until(() => host.manager.status().terminalConnected === true, 10_000, 'terminal connected');
    const venue = host.paperVenue()!;
    // a strategy that never enters: the host subscribes to EURUSD's ticks for it (the paper broker trades on them)
    await host.manager.start({
      strategyId: 'watch', symbol: 'EURUSD', timeframe: 'H1',
      rules: { entry: { long: { conditions: [{ indicator: 'close', condition: 'less_than', value: 0 }] } }, riskManagement: { lotSize: 0.1, maxPositions: 1 } },
    });
    await until(() => host.manager.get('watch')?.runner !== undefined, 10_000, 'strategy ready');
    await venue.spec('GBPUSD');
    ea.tick('EURUSD', 1.13, 1.13002, t0 + 60_000);
    await until(() => venue.positions !== undefined && lines.some((l) => l.includes('symbol added') && l.includes('EURUSD')), 10_000, 'EURUSD learned');
    await new Promise((r) => setTimeout(r, 300));
    const res = await host.manager.manualIntent({ type: 'OPEN', intentId: 'swap-mode-hold', magic: 0, symbol: 'EURUSD', side: 0, volume: 0.1, sl: 0, tp: 0, deviation: 10 });
    expect(res.class, res.comment).toBe('done');
    const open = venue.positions.find((p) => p.symbol === 'EURUSD')!;
    expect(open.priceOpen).toBe(1.13002);
    // the server day ends (Thursday's rollover, one night): the next tick is Friday's
    ea.tick('EURUSD', 1.131, 1.13102, t0 + 7 * 3_600_000);
    await new Promise((r) => setTimeout(r, 200));
    ea.addBars('EURUSD', 'H1', h1Bars(100, 101)); // a closed bar: the paper venue tells its account and positions again
    await until(() => venue.positions.find((p) => p.symbol === 'EURUSD')?.swap !== 0, 10_000, 'swap charged');
    // 1.13002 × 100,000 × 0.1 = 11,300.2 USD × -2.5 % / 360 = -0.78473… → -0.78 USD (in points it would be -0.25)
    expect(venue.positions.find((p) => p.symbol === 'EURUSD')!.swap).toBe(-0.78);
    expect(ea.orderSends).toEqual([]);
    expect(lines.some((l) => l.includes('GBPUSD: its broker charges swap by reopening positions at the rollover'))).toBe(true);
  }, 90_000);
});
