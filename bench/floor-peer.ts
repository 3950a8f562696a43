/**
 * The loopback floor for bench/host.ts: the same traffic as host-peer.ts (real protocol frames of the same sizes,
 * 50 ticks/s per symbol, an ACCOUNT + BAR per symbol per second, staggered) to a bare echo server that answers each
 * BAR with one intent frame without decoding anything. The time from sending a BAR to the answer's bytes reaching
 * this socket is what two processes and the loopback cost on this machine before the host does any work.
 * argv: url symbols ticksPerSecondPerSymbol
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { encodeMessage } from '../src/protocol/codec.js';
import { SimBroker } from '../src/sim/broker.js';
import { symbolSpec } from '../src/sim/symbols.js';

const [url, symbolsS = '20', rateS = '50'] = process.argv.slice(2);
const nsym = Number(symbolsS);
const rate = Number(rateS);
const symbols = Array.from({ length: nsym }, (_, i) => `S${String(i).padStart(2, '0')}`);
const broker = new SimBroker({
  account: { login: 778, server: 'BenchHost', currency: 'USD', leverage: 500, marginMode: 2, balance: 1e9 },
  symbols: [symbolSpec('EURUSD', { commissionPerLot: 0, sessions: [] })],
});
let seq = 0;
const ws = new WebSocket(url!, { perMessageDeflate: false });
await new Promise((res, rej) => ws.once('open', res).once('error', rej));
let barSentAt = 0;
const arrivals: number[] = [];
(ws as unknown as { _socket: NodeJS.EventEmitter })._socket.prependListener('data', () => {
  if (barSentAt) arrivals.push(performance.now() - barSentAt);
  barSentAt = 0;
});
process.send?.({ ready: true });

let timer: NodeJS.Timeout | undefined;
let ticks = 0;
process.on('message', (m: { go?: number; stop?: boolean }) => {
  if (m.go) {
    const t0 = performance.now();
    let step = 0;
    const due = symbols.map((_, i) => t0 + 1000 + (i * 1000) / nsym);
    timer = setInterval(() => {
      const now = performance.now();
      step++;
      for (let i = 0; i < nsym; i++) {
        const s = symbols[i]!;
        const p = 1.1 + (step % rate) * 1e-5;
        const tick = () => ws.send(encodeMessage('TICKS', ++seq, { symbol: s, ticks: [[1704708000000 + step * 20, p, p + 0.0001, 0, 0, 6]] }));
        if (now >= due[i]!) {
          due[i]! += 1000;
          ws.send(encodeMessage('ACCOUNT', ++seq, { account: broker.account() }));
          ws.send(encodeMessage('BAR', ++seq, { symbol: s, timeframe: 'H1', bar: [1704708000 + step, p, p + 0.0003, p - 0.0002, p + 0.0001, 1234, 10, 0] }));
          barSentAt = performance.now();
        }
        tick();
        ticks++;
      }
    }, 1000 / rate);
  }
  if (m.stop) {
    clearInterval(timer);
    process.send?.({ done: true, arrivals, ticks });
    ws.close();
    setTimeout(() => process.exit(0), 50);
  }
});
