/**
 * Seeded, bounded fuzzing of the surfaces a hostile peer reaches (fast-check). In `npm test` a few thousand cases
 * per surface; `npm run fuzz` (MT5X_FUZZ=full) runs the counts. Each case: nothing throws out,
 * every refusal is a clear one (a validation error, a 4xx code, or a REJECT/close), nothing stalls.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StrategyError, normalizeStrategy } from '../../src/engine/strategy/normalize.js';
import { CommandProcessor } from '../../src/host/platform/commands.js';
import { silentLogger } from '../../src/host/logger.js';
import { StrategyManager } from '../../src/host/trading/manager.js';
import { COMMAND_TYPES } from '../../src/host/platform/contract.js';
import { Store } from '../../src/host/state/store.js';
import { encodeRaw } from '../../src/protocol/codec.js';
import { startRig, until, type Rig } from '../helpers.js';
import { mutate } from '../fuzz/mutate.js';
import { FULL, SEED, figure, runs } from '../fuzz/scale.js';

/** Codes a command may fail with: each is a 4xx (or 503 for no terminal) with a message. */
const CLEAR_CODES = new Set(['INVALID', 'NOT_FOUND', 'STATE', 'LOCKED', 'NO_TERMINAL', 'BROKER']);

describe('fuzz: command parameters (platform payloads and API bodies take this path)', () => {
  let proc: CommandProcessor;
  beforeAll(async () => {
    const store = await Store.open(mkdtempSync(join(tmpdir(), 'mt5x-fuzz-cmd-')));
    const mgr = new StrategyManager(store, silentLogger, {});
    proc = new CommandProcessor(mgr, store, () => {}, silentLogger);
  });

  it(`${runs(1500, 20_000)} random commands (platform command payloads): never a throw, never an unexplained failure`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMAND_TYPES, 'NOPE'), fc.oneof(fc.object({ maxDepth: 4 }), fc.anything({ maxDepth: 3 })), async (type, parameters) => {
        const t0 = performance.now();
        const out = await proc.handle({ id: `f${n++}`, type, parameters }, 'api');
        expect(performance.now() - t0).toBeLessThan(3000); // a hang guard (1 s failed once at load 20 under npm run fuzz); speed is in the benchmarks
        if (out.status === 'failed') {
          expect(CLEAR_CODES.has(out.code ?? ''), `${type} ${JSON.stringify(parameters)} → ${out.code}: ${out.error}`).toBe(true);
          expect(out.error).toBeTruthy();
        }
      }),
      { numRuns: runs(1500, 20_000), seed: SEED },
    );
    figure('command-fuzz', { commands: n });
  }, FULL ? 3_600_000 : 120_000);
});

describe('fuzz: mutated strategies', () => {
  const examples = ['ema-cross-trend', 'rsi-bollinger-reversion'].map((f) => JSON.parse(readFileSync(`examples/${f}.json`, 'utf8')) as Record<string, unknown>);
  const weird = fc.oneof(fc.anything({ maxDepth: 2 }), fc.constantFrom(2 ** 31, 2 ** 64, 1e300, -1, 0, Number.NaN, '', 'sma_2147483648', {}, [], null), fc.double());

  it(`${runs(3000, 12_000)} mutations of the examples: a StrategyError or a valid strategy, quickly`, () => {
    fc.assert(
      fc.property(fc.nat(examples.length - 1), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), weird, (e, pick, x) => {
        const input = mutate(examples[e], pick, x);
        const t0 = performance.now();
        try {
          normalizeStrategy(input);
        } catch (err) {
          expect(err, String((err as Error).stack)).toBeInstanceOf(StrategyError);
        }
        expect(performance.now() - t0).toBeLessThan(3000); // a hang guard (1 s failed once at load 20 under npm run fuzz); speed is in the benchmarks
      }),
      { numRuns: runs(3000, 12_000), seed: SEED },
    );
  }, FULL ? 3_600_000 : 120_000);
});

describe('fuzz: bridge frames before HELLO', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  it(`${runs(300, 2000)} random first frames: each connection refused and closed; the host still takes a real terminal`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.anything({ maxDepth: 3 }).map((v) => Buffer.from(encodeRaw(v)))), async (frame) => {
        const ws = new WebSocket(rig.url);
        let closed = false;
        ws.on('close', () => (closed = true));
        ws.on('error', () => {});
        await new Promise<void>((res) => ws.once('open', () => res()));
        ws.send(frame, { binary: true });
        await until(() => closed, 5000, 'the host closed the connection');
      }),
      { numRuns: runs(300, 2000), seed: SEED },
    );
    const { terminal } = await rig.connect();
    expect(terminal.connected).toBe(true);
  }, FULL ? 3_600_000 : 120_000);
});
