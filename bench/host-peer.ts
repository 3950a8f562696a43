/**
 * The simulated MT5 terminal for bench/host.ts, in its own process so the host is measured alone.
 * argv: url token symbols ticksPerSecondPerSymbol
 * Each symbol replays the same stretch of real EURUSD H1 bars:
 * `ticksPerSecondPerSymbol` ticks per second, and one bar closes per symbol per second (staggered). The time
 * from a bar's closing message to each intent it causes is measured here, at the terminal — when the intent's
 * bytes reach the terminal's socket, and when the terminal has executed it — and sent to the parent at the end.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseBars } from '../src/engine/bars.js';
import type { IntentResultBody } from '../src/protocol/messages.js';
import { SimBroker } from '../src/sim/broker.js';
import { symbolSpec } from '../src/sim/symbols.js';
import { SimTerminal, barTupleAt } from '../src/sim/terminal.js';

const [url, token, symbolsS = '20', rateS = '50'] = process.argv.slice(2);
const nsym = Number(symbolsS);
const rate = Number(rateS);
const bars = parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8'));
const symbols = Array.from({ length: nsym }, (_, i) => `S${String(i).padStart(2, '0')}`);
const broker = new SimBroker({
  account: { login: 778, server: 'BenchHost', currency: 'USD', leverage: 500, marginMode: 2, balance: 1e9 },
  symbols: symbols.map((s) => symbolSpec('EURUSD', { symbol: s, commissionPerLot: 0, sessions: [] })),
  ticketStart: 2n ** 53n,
  fixedRates: { EURUSD: 1.1 }, // the S00… symbols are EURUSD copies: margin in EUR converts at a fixed rate
});
// the forming bar, per symbol (the ones before are history). All symbols replay the same stretch (the host asks
// for history up to the terminal's one clock), staggered within each second.
const cursor = symbols.map(() => 1200);
const term = new SimTerminal({ url: url!, token: token!, broker, reconnect: false });
for (const [i, s] of symbols.entries()) {
  term.setHistory(s, 'H1', bars, cursor[i]!);
  broker.quote(s, bars.open[cursor[i]!]!, bars.open[cursor[i]!]! + 0.0001, bars.time[cursor[i]!]! * 1000);
}
const barSentAt = new Array<number>(nsym).fill(0);
const latencies: number[] = [];
/** bar → the chunk holding the intent reached the terminal's socket (before the terminal executes it) */
const arrivals: number[] = [];
let chunkAt = 0;
const ticketSymbol = new Map<string, number>();
let intents = 0;
let ticks = 0;
let barsClosed = 0;
term.on('intent', (msg: { type: number; symbol?: string; ticket?: bigint }, result: IntentResultBody) => {
  const now = performance.now();
  intents++;
  let k = msg.symbol !== undefined ? symbols.indexOf(msg.symbol) : -1;
  if (k < 0 && msg.ticket !== undefined) k = ticketSymbol.get(msg.ticket.toString()) ?? -1;
  if (result.position !== undefined && k >= 0) ticketSymbol.set(result.position.toString(), k);
  if (k >= 0 && barSentAt[k]! > 0) {
    latencies.push(now - barSentAt[k]!);
    arrivals.push(chunkAt - barSentAt[k]!);
  }
});
await term.connect();
// stamp every chunk as it arrives, before ws parses it: the terminal executes the intents of one chunk one
// after the other, so "executed" of the fifth includes executing the four before it
(term as unknown as { ws: { _socket: NodeJS.EventEmitter } }).ws._socket.prependListener('data', () => (chunkAt = performance.now()));
process.send?.({ ready: true });

let timer: NodeJS.Timeout | undefined;
process.on('message', async (m: { go?: number; stop?: boolean }) => {
  if (m.go) {
    const t0 = performance.now();
    const tickEvery = 1000 / rate;
    let step = 0;
    const due = new Array<number>(nsym).fill(0).map((_, i) => t0 + 1000 + (i * 1000) / nsym); // first bar close, staggered
    timer = setInterval(() => {
      const now = performance.now();
      step++;
      for (let i = 0; i < nsym; i++) {
        const s = symbols[i]!;
        const c = cursor[i]!;
        if (now >= due[i]!) {
          // bar c closes; the tick that opens bar c+1
          due[i]! += 1000;
          barsClosed++;
          term.barClosed(s, 'H1', barTupleAt(bars, c));
          barSentAt[i] = performance.now();
          term.quote(s, bars.open[c + 1]!, bars.open[c + 1]! + 0.0001, bars.time[c + 1]! * 1000);
          cursor[i] = c + 1;
        } else {
          // a tick inside the forming bar c: between its open and close
          const frac = ((step % rate) + 1) / (rate + 1);
          const p = Math.round((bars.open[c]! * (1 - frac) + bars.close[c]! * frac) * 1e5) / 1e5;
          term.quote(s, p, Math.round((p + 0.0001) * 1e5) / 1e5, bars.time[c]! * 1000 + Math.floor(frac * 3_590_000));
        }
        ticks++;
      }
    }, tickEvery);
  }
  if (m.stop) {
    clearInterval(timer);
    process.send?.({ done: true, latencies, arrivals, intents, ticks, barsClosed });
    await term.close();
    process.exit(0);
  }
});
