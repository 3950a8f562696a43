/**
 * The paper account's nightly swap across restarts (src/host/paper/account.ts, rollover.ts), with the real account
 * closed and opened again from its journal: every night a host was down is charged, also when it stopped before its
 * first midnight, by the broker's weekend rule; a rollover line replays to what it charged when it was written —
 * also a line in the format before the lines recorded their charges (then every night was charged, Sunday's too).
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/host/paper/account.js';
import type { JournalLine } from '../../src/host/paper/journal.js';
import { silentLogger } from '../../src/host/logger.js';
import type { IntentBody } from '../../src/protocol/messages.js';
import type { Terminal } from '../../src/host/bridge/server.js';
import { symbolSpec } from '../../src/sim/symbols.js';

const DAY = 86_400_000;
/** Monday 2024-01-08 10:00 server time. EURUSD's preset: swapLong -7 points (-7.00 a night on 1 lot), triple on Wednesday. */
const MON = Date.UTC(2024, 0, 8, 10);
const live = { account: { login: 1, server: 'X', currency: 'USD', currencyDigits: 2, leverage: 100, marginMode: 2, tradeMode: 0, balance: 10_000, stopOutLevel: 50 }, serverTime: 0 } as unknown as Terminal;
const buy = { type: 'OPEN', intentId: 'i1', magic: 7, symbol: 'EURUSD', side: 0, volume: 1, sl: 0, tp: 0, deviation: 10 } as unknown as IntentBody;

const open = (dir: string) => new PaperAccount('k', { dir, log: silentLogger }, { tx: () => {}, changed: () => {} });
const swapOf = (a: PaperAccount) => a.broker!.positionList()[0]!.swap;
const onDisk = (dir: string) => readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalLine);

/** A new paper account (seeded with `serverTime`, in seconds) holding 1 lot EURUSD bought at `at`, closed: its journal is on disk. */
async function bought(at: number, serverTime = 0): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mt5x-pswap-'));
  const a = open(dir);
  a.seedFrom({ ...live, serverTime } as Terminal);
  a.learn({ ...symbolSpec('EURUSD', { commissionPerLot: 0 }), tickValue: 1 }, false);
  a.quote('EURUSD', 1.1, 1.1001, at);
  expect(a.execute(buy, true).retcode).toBe(10009);
  await a.close();
  return dir;
}

/** The account opened again from its journal, as a start does. */
function restarted(dir: string): PaperAccount {
  const a = open(dir);
  expect(a.restore()).toBe(true);
  return a;
}

describe('paper swap across restarts', () => {
  it('a host stopped before its first midnight charges every night it was down at the next tick, and a further restart keeps it', async () => {
    const dir = await bought(MON);
    let a = restarted(dir);
    expect(swapOf(a)).toBe(0);
    a.quote('EURUSD', 1.1, 1.1001, MON + 4 * DAY); // back on Friday
    expect(swapOf(a)).toBe(-42); // Mon, Tue, Wed ×3, Thu: 6 × -7.00
    expect(onDisk(dir).filter((l) => l.k === 'rollover').map((l) => (l as { weekday: number }).weekday)).toEqual([1, 2, 3, 4]);
    await a.close();
    a = restarted(dir);
    expect(swapOf(a)).toBe(-42); // replayed, not charged again
    a.quote('EURUSD', 1.1, 1.1001, MON + 4 * DAY + 3_600_000); // the same day: nothing more
    expect(swapOf(a)).toBe(-42);
    await a.close();
  });

  it('a host down over a weekend charges Friday night and none for Saturday and Sunday (the triple day stands for them)', async () => {
    const dir = await bought(MON + 4 * DAY); // Friday
    const a = restarted(dir);
    a.quote('EURUSD', 1.1, 1.1001, MON + 8 * DAY); // Tuesday
    expect(swapOf(a)).toBe(-14); // Fri -7, Sat 0, Sun 0, Mon -7
    expect(onDisk(dir).filter((l) => l.k === 'rollover').map((l) => [(l as { weekday: number }).weekday, (l as { swap: unknown[] }).swap.length])).toEqual([[5, 1], [6, 0], [0, 0], [1, 1]]);
    await a.close();
  });

  it('an account without a position writes no rollover line, however long it was down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-pswap-'));
    let a = open(dir);
    a.seedFrom({ ...live, serverTime: Math.floor(MON / 1000) } as Terminal); // the seed's time: a day the account has reached
    a.learn({ ...symbolSpec('EURUSD', { commissionPerLot: 0 }), tickValue: 1 }, false);
    await a.close();
    a = restarted(dir);
    a.quote('EURUSD', 1.1, 1.1001, MON + 400 * DAY);
    expect(a.broker!.openCount).toBe(0);
    expect(onDisk(dir).map((l) => l.k)).toEqual(['seed', 'spec']);
    await a.close();
  });

  it('a rollover line replays what it charged when written; an older line (no charges in it) by the rule of its time', async () => {
    const dir = await bought(MON);
    const a = restarted(dir);
    const ticket = a.broker!.positionList()[0]!.ticket;
    a.quote('EURUSD', 1.1, 1.1001, MON + DAY);
    expect(swapOf(a)).toBe(-7);
    await a.close();
    const night = onDisk(dir).at(-1) as unknown as { k: string; weekday: number; day: number; swap: [{ $n: string }, number][] };
    expect(night).toEqual({ k: 'rollover', weekday: 1, day: Math.floor(MON / DAY) + 1, swap: [[{ $n: String(ticket) }, -700]] });
    // the weekend's lines as the code before 7cb12a0 wrote them (no charges in them): it charged every night then,
    // Saturday's and Sunday's too (-7.00 each); the broker's rule today charges nothing for them
    const friday = Math.floor(MON / DAY) + 4;
    for (const [weekday, day] of [[2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [0, 7]] as const) appendFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify({ k: 'rollover', weekday, day: friday - 4 + day })}\n`);
    // and a line in today's format whose charge is not the rule's: replayed as written
    appendFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify({ k: 'rollover', weekday: 1, day: friday + 4, swap: [[{ $n: String(ticket) }, -123]] })}\n`);
    const b = restarted(dir);
    // Mon -7 (its line), Tue -7, Wed -21, Thu -7, Fri -7, Sat -7, Sun -7 (the old lines), Mon -1.23 (as written)
    expect(swapOf(b)).toBe(-64.23);
    await b.close();
  });
});
