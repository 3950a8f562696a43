/**
 * `mt5-executor install-ea` on a fake %APPDATA%\MetaQuotes\Terminal tree (two terminals, the Common folder, an
 * origin.txt in UTF-16LE as MetaTrader writes it), through the real CLI bundle.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTerminals } from '../../src/cli/install-ea.js';

const ID1 = 'D0E8209F77C8CF37AD8BF550E51FF075';
const ID2 = '47AEB69EDDAD4D73097816C71FB25856';

function fakeTree(): string {
  const appdata = mkdtempSync(join(tmpdir(), 'mt5x-appdata-'));
  const root = join(appdata, 'MetaQuotes', 'Terminal');
  for (const [id, origin] of [[ID1, 'C:\\Program Files\\MetaTrader 5'], [ID2, 'D:\\Brokers\\IC Markets MT5']] as const) {
    mkdirSync(join(root, id, 'MQL5', 'Experts'), { recursive: true });
    mkdirSync(join(root, id, 'MQL5', 'Include'), { recursive: true });
    writeFileSync(join(root, id, 'origin.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(origin, 'utf16le')]));
  }
  mkdirSync(join(root, 'Common', 'Files'), { recursive: true }); // shared folder, not a terminal
  return appdata;
}

const cli = (appdata: string, ...args: string[]) =>
  spawnSync(process.execPath, ['dist/mt5-executor.js', 'install-ea', ...args], { encoding: 'utf8', env: { ...process.env, APPDATA: appdata, MT5X_DATA_DIR: join(appdata, 'mt5x'), MT5X_BRIDGE_PORT: '18777' } });

const ea = (appdata: string, id: string) => join(appdata, 'MetaQuotes', 'Terminal', id, 'MQL5', 'Experts', 'ExecutorBridge.mq5');

describe('install-ea', () => {
  it('names each terminal by its origin.txt and skips folders without MQL5', () => {
    const appdata = fakeTree();
    const found = findTerminals(join(appdata, 'MetaQuotes', 'Terminal'));
    expect(found.map((t) => [t.id, t.origin])).toEqual([[ID2, 'D:\\Brokers\\IC Markets MT5'], [ID1, 'C:\\Program Files\\MetaTrader 5']]);
  });

  it('copies the EA and its includes into every terminal, then says what is left (with the configured port)', () => {
    const appdata = fakeTree();
    const r = cli(appdata);
    expect(r.status, r.stderr).toBe(0);
    for (const id of [ID1, ID2]) {
      expect(readFileSync(ea(appdata, id), 'utf8')).toBe(readFileSync('mql5/Experts/ExecutorBridge.mq5', 'utf8'));
      const inc = join(appdata, 'MetaQuotes', 'Terminal', id, 'MQL5', 'Include', 'ExecutorBridge');
      expect(readdirSync(inc).filter((f) => f.endsWith('.mqh')).sort()).toEqual(readdirSync('mql5/Include/ExecutorBridge').filter((f) => f.endsWith('.mqh')).sort());
      expect(readFileSync(join(inc, 'Protocol.mqh'), 'utf8')).toBe(readFileSync('mql5/Include/ExecutorBridge/Protocol.mqh', 'utf8'));
    }
    expect(r.stdout).toContain('C:\\Program Files\\MetaTrader 5 (data folder');
    expect(r.stdout).toContain('not compiled: no MetaEditor64.exe in D:\\Brokers\\IC Markets MT5');
    expect(r.stdout).toMatch(/Allow WebRequest for listed URL", and add 127\.0\.0\.1/);
    expect(r.stdout).toContain('Port = 18777');
    expect(r.stdout).toContain("'mt5-executor token'");
    // a second run finds nothing to do
    const again = cli(appdata);
    expect(again.status).toBe(0);
    expect(again.stdout.match(/EA files already up to date/g)).toHaveLength(2);
  });

  it('refuses to overwrite an EA changed by hand (nothing of that terminal written); --force backs it up first', () => {
    const appdata = fakeTree();
    expect(cli(appdata, '--terminal', ID1).status).toBe(0);
    expect(existsSync(ea(appdata, ID2))).toBe(false); // only the terminal asked for
    appendFileSync(ea(appdata, ID1), '\n// my own change\n');
    const mine = readFileSync(ea(appdata, ID1), 'utf8');
    const refused = cli(appdata, '--terminal', ID1);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/NOT installed: these files were changed[^\n]*\n\s+\S*ExecutorBridge\.mq5\n[^\n]*--force/);
    expect(readFileSync(ea(appdata, ID1), 'utf8')).toBe(mine);
    const forced = cli(appdata, '--terminal', ID1, '--force');
    expect(forced.status, forced.stdout).toBe(0);
    expect(readFileSync(ea(appdata, ID1), 'utf8')).toBe(readFileSync('mql5/Experts/ExecutorBridge.mq5', 'utf8'));
    const backup = readdirSync(join(appdata, 'MetaQuotes', 'Terminal', ID1, 'MQL5', 'Experts')).find((f) => f.startsWith('ExecutorBridge.mq5.bak-'))!;
    expect(readFileSync(join(appdata, 'MetaQuotes', 'Terminal', ID1, 'MQL5', 'Experts', backup), 'utf8')).toBe(mine);
  });

  it('an older EA it installed itself is replaced without --force', () => {
    const appdata = fakeTree();
    expect(cli(appdata, '--terminal', ID2).status).toBe(0);
    // what a previous version would have left: the manifest records the file as it wrote it
    const manifestFile = join(appdata, 'MetaQuotes', 'Terminal', ID2, 'MQL5', 'Include', 'ExecutorBridge', '.mt5-executor-install.json');
    writeFileSync(ea(appdata, ID2), '// version 0.0.9\n');
    const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
    m.files['Experts/ExecutorBridge.mq5'] = createHash('sha256').update('// version 0.0.9\n').digest('hex');
    writeFileSync(manifestFile, JSON.stringify(m));
    const r = cli(appdata, '--terminal', ID2);
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('copied 1 file(s)');
    expect(readFileSync(ea(appdata, ID2), 'utf8')).toBe(readFileSync('mql5/Experts/ExecutorBridge.mq5', 'utf8'));
  });

  it('explains where to look when there is no terminal, and an unknown --terminal', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mt5x-appdata-'));
    const r = cli(empty);
    expect(r.status).toBe(1); // no MetaTrader 5 on the machine is not a usage error
    expect(r.stderr).toMatch(/no MetaTrader 5 data folder in \S+MetaQuotes\/Terminal\. Start MetaTrader 5 once/);
    const appdata = fakeTree();
    const u = cli(appdata, '--terminal', 'NOPE');
    expect(u.status).toBe(2);
    expect(u.stderr).toContain(`${ID1}  C:\\Program Files\\MetaTrader 5`);
  });
});
