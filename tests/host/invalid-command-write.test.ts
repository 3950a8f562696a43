/**
 * A command refused as invalid changed nothing, so it costs no whole-state write (its status is one journal
 * line): a stream of malformed requests cannot make the host rewrite its whole state each time (found by
 * tests/fuzz/host-fuzz.test.ts, where such writes were much of the host's work).
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandProcessor } from '../../src/host/platform/commands.js';
import { silentLogger } from '../../src/host/logger.js';
import { Store } from '../../src/host/state/store.js';
import { StrategyManager } from '../../src/host/trading/manager.js';

describe('a command refused as invalid', () => {
  it('does not rewrite state.json; a valid one does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-invalid-'));
    const store = await Store.open(dir);
    const proc = new CommandProcessor(new StrategyManager(store, silentLogger, {}), store, () => {}, silentLogger);
    await store.write();
    const file = join(dir, 'state.json');
    const before = statSync(file, { bigint: true }).mtimeNs;
    await new Promise((r) => setTimeout(r, 20));
    for (const [i, parameters] of [{ maxLot: -1 }, { maxDailyLossPercnt: 1 }, 'x'].entries()) {
      const out = await proc.handle({ id: `bad-${i}`, type: 'UPDATE_RISK_LIMITS', parameters }, 'api');
      expect(out).toMatchObject({ status: 'failed', code: 'INVALID' });
    }
    expect(statSync(file, { bigint: true }).mtimeNs).toBe(before);
    expect(store.data.commands['bad-0']?.status).toBe('failed'); // its status is still recorded (journal)
    const ok = await proc.handle({ id: 'good', type: 'UPDATE_RISK_LIMITS', parameters: { maxLot: 2 } }, 'api');
    expect(ok.status).toBe('executed');
    expect(statSync(file, { bigint: true }).mtimeNs).not.toBe(before);
  });
});
