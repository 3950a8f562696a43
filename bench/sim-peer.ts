/**
 * The simulated terminal as a separate process for bench/bridge.ts, so the host's event loop and CPU are
 * measured alone. argv: url token mode [rate batch symbols seconds]
 *   mode rt:    answer intents (netting account, EURUSD)
 *   mode ticks: send `rate` ticks/s over `symbols` symbols, `batch` ticks per TICKS message, for `seconds`
 */
import { performance } from 'node:perf_hooks';
import { SimBroker } from '../src/sim/broker.js';
import { symbolSpec } from '../src/sim/symbols.js';
import { SimTerminal } from '../src/sim/terminal.js';

const [url, token, mode, rateS = '200000', batchS = '10', symbolsS = '20', secondsS = '5'] = process.argv.slice(2);
const broker = new SimBroker({
  account: { login: 777, server: 'Bench', currency: 'USD', leverage: 500, marginMode: 0, balance: 1e9 },
  symbols: [symbolSpec('EURUSD', { commissionPerLot: 0, sessions: [] })],
  ticketStart: 2n ** 53n,
});
broker.quote('EURUSD', 1.1, 1.10002, Date.UTC(2024, 0, 8, 10));
const term = new SimTerminal({ url: url!, token: token!, broker, reconnect: false });
await term.connect();
process.send?.({ ready: true });

if (mode === 'ticks') {
  const rate = Number(rateS), batch = Number(batchS), nsym = Number(symbolsS), seconds = Number(secondsS);
  const symbols = Array.from({ length: nsym }, (_, i) => `SYM${i}`);
  const t0 = performance.now();
  let sent = 0, k = 0;
  const ticks: [number, number, number, number, number, number][] = [];
  const step = () => {
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= seconds) {
      process.send?.({ done: true, sent });
      return;
    }
    const due = Math.floor(elapsed * rate);
    while (sent + batch <= due) {
      ticks.length = 0;
      for (let j = 0; j < batch; j++) ticks.push([1704708000000 + sent + j, 1.1 + (k % 100) * 1e-5, 1.10002 + (k % 100) * 1e-5, 0, 0, 6]);
      term.send('TICKS', { symbol: symbols[k++ % nsym]!, ticks });
      sent += batch;
    }
    setImmediate(step);
  };
  step();
}
process.on('message', async (m: { stop?: boolean }) => {
  if (m.stop) {
    await term.close();
    process.exit(0);
  }
});
