/**
 * The host's logs: readable lines on a terminal (pino-pretty), JSON lines otherwise, and JSON lines in the data
 * folder's rotating log file (pino-roll) — with the same redaction everywhere.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LOG_FILES_KEPT, createHostLogger } from '../../src/host/logger.js';

const sink = () => {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
  return { stream, text: () => chunks.join('') };
};
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('host logs', () => {
  it('JSON lines to the console and the data folder\'s log file, secrets redacted in both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-logs-'));
    const con = sink();
    const log = await createHostLogger({ level: 'info', destination: con.stream, dataDir: dir, env: {} });
    log.info({ token: 'tok_SECRET_1234567890', strategy: 'ema' }, 'strategy started');
    log.info({ headers: { authorization: 'Bearer SECRET_BEARER' } }, 'call');
    await settle();
    const line = JSON.parse(con.text().split('\n')[0]!);
    expect(line).toMatchObject({ msg: 'strategy started', strategy: 'ema', token: '[redacted]' });
    const files = readdirSync(join(dir, 'logs'));
    expect(files).toEqual(['mt5-executor.1.log']);
    const fileText = readFileSync(join(dir, 'logs', files[0]!), 'utf8');
    expect(fileText.trim().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['strategy started', 'call']);
    expect(con.text() + fileText).not.toContain('SECRET');
  });

  it('readable lines on a terminal (pino-pretty), still redacted; MT5X_LOG_FORMAT=json keeps JSON', async () => {
    const con = sink();
    const log = await createHostLogger({ level: 'info', destination: con.stream, pretty: true, env: {} });
    log.warn({ apiSecret: 'sk_live_SECRET', retries: 3 }, 'platform unreachable');
    await settle();
    const t = con.text();
    expect(t).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] WARN: platform unreachable\n/);
    expect(t).toContain('retries: 3');
    expect(t).toContain('[redacted]');
    expect(t).not.toContain('SECRET');
    expect(() => JSON.parse(t.split('\n')[0]!)).toThrow();
    const j = sink();
    const jl = await createHostLogger({ level: 'info', destination: Object.assign(j.stream, { isTTY: true }), env: { MT5X_LOG_FORMAT: 'json' } });
    jl.info('x');
    await settle();
    expect(JSON.parse(j.text().split('\n')[0]!).msg).toBe('x');
  });

  it('rotates the log file by size and keeps the newest files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt5x-logs-rot-'));
    const log = await createHostLogger({ level: 'info', destination: sink().stream, dataDir: dir, rotateBytes: 1024, env: {} });
    for (let i = 0; i < 400; i++) {
      log.info({ i, pad: 'x'.repeat(100) }, 'line');
      if (i % 20 === 0) await settle();
    }
    await new Promise((r) => setTimeout(r, 500));
    const files = readdirSync(join(dir, 'logs')).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(LOG_FILES_KEPT + 1);
    expect(files.every((f) => /^mt5-executor\.\d+\.log$/.test(f))).toBe(true);
    // the files in order hold the newest lines, in order, to the last one
    const kept = files.flatMap((f) => readFileSync(join(dir, 'logs', f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).i as number));
    expect(kept[kept.length - 1]).toBe(399);
    expect(kept).toEqual([...kept].sort((x, y) => x - y));
    expect(Number(files[0]!.split('.')[1])).toBeGreaterThan(1); // the oldest were removed
  });
});
