/**
 * A child process for tests/host/core-state-file.test.ts: a real trading core changing without pause (deals,
 * closed trades, costs, accounts, decisions that change managed positions), its state written by change through
 * CoreStateFile into the folder argv[2]; before each write it sends the parent the state it asks to be written
 * (delivered into the channel first).
 */
import { CoreStateFile } from '../../src/host/state/core-state-file.js';
import { NO_POLICY } from '../../src/engine/core/risk-gate.js';
import { TradingCore } from '../../src/engine/core/trading-core.js';

const f = new CoreStateFile(process.argv[2]!);
const core = new TradingCore(NO_POLICY);
const runner = { magic: 7, strategy: { risk: {} }, managing: false, managedPositions: () => [], restoreManaged: () => undefined };
core.add('s', runner as never);
const t0 = Date.UTC(2024, 0, 8, 10) / 1000;
for (let n = 0; ; n++) {
  const now = t0 + n * 60;
  core.noteDeal(`t#${n}`, now);
  if (n % 3 === 0) core.observeClosed(7, BigInt(n), now, n % 2 ? 4 : -3, false);
  if (n % 5 === 0) core.observeCost(7, now, -0.5);
  core.observeAccount(now, 10_000 + n, 10_000 + 2 * n);
  if (n % 40 === 0) core.dealsRead(now);
  // in the channel before the write is asked for (the parent reads it even after the kill)
  await new Promise((res) => process.send!({ state: JSON.parse(JSON.stringify(core.state())) }, res));
  await f.write((delta) => core.changedStateText(delta));
  await new Promise((res) => setImmediate(res)); // as the host does: one write per turn of the event loop at most
}
