/**
 * The Windows release under wine: mt5-executor.exe (Node single executable) runs, computes what the Linux build
 * computes byte for byte, hosts the bridge for the simulated terminal on Linux and trades through it; the
 * installer installs silently with its shortcuts and uninstalls, keeping the data folder.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBars, sliceBars } from '../../src/engine/bars.js';
import { SimTerminal } from '../../src/sim/terminal.js';
import { symbolSpec } from '../../src/sim/symbols.js';
import { freePort, makeBroker, until } from '../helpers.js';
import { EXE, FAKE_METAEDITOR, WIN_APP, wineRun, wineStart, winPath } from './wine.js';

const prefix = process.env.MT5X_WINE_PREFIX!;
const work = mkdtempSync(join(tmpdir(), 'mt5x-win-out-'));
const out = (name: string) => join(work, name);
const user = () => readdirSync(join(prefix, 'drive_c', 'users')).find((u) => u !== 'Public')!;
const roaming = () => join(prefix, 'drive_c', 'users', user(), 'AppData', 'Roaming');
const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
const figures: Record<string, string> = {};

afterAll(() => {
  process.stdout.write(`[test:win] figures: ${JSON.stringify(figures)}\n`);
});

describe('Windows release under wine', () => {
  it('mt5-executor.exe version (cold start measured: the first run in the fresh prefix)', () => {
    const cold = wineRun(prefix, EXE, ['version'], out('version-cold.txt'));
    expect(cold.status, cold.out).toBe(0);
    expect(cold.out.trim()).toBe(spawnSync(process.execPath, ['dist/mt5-executor.js', 'version'], { encoding: 'utf8' }).stdout.trim());
    const warm = wineRun(prefix, EXE, ['version'], out('version-warm.txt'));
    figures.exeColdStartMs = cold.ms.toFixed(0);
    figures.exeWarmStartMs = warm.ms.toFixed(0);
    figures.exeMB = (statSync(EXE).size / 1e6).toFixed(1);
  });

  it('a backtest: --json and the trades CSV equal the Linux build byte for byte', () => {
    const args = ['backtest', 'examples/rsi-bollinger-reversion.json', '--data', 'data/EURUSD_H1_2015-2022.csv', '--json'];
    const win = wineRun(prefix, resolve(EXE), [...args, '--trades', winPath(out('trades-win.csv'))], out('backtest-win.json'), {}, resolve(WIN_APP));
    expect(win.status, win.out).toBe(0);
    const linux = spawnSync(process.execPath, ['dist/mt5-executor.js', ...args, '--trades', out('trades-linux.csv')], { encoding: 'utf8' });
    expect(linux.status, linux.stderr).toBe(0);
    expect(JSON.parse(win.out).trades).toBeGreaterThan(10);
    expect(win.out).toBe(linux.stdout);
    expect(readFileSync(out('trades-win.csv'), 'utf8')).toBe(readFileSync(out('trades-linux.csv'), 'utf8'));
  });

  it('token moves the old FXExecutorV2 data folder to %APPDATA%\\mt5-executor and shows its configured port', () => {
    mkdirSync(join(roaming(), 'FXExecutorV2'), { recursive: true });
    writeFileSync(join(roaming(), 'FXExecutorV2', 'config.json'), JSON.stringify({ bridge: { port: 17999 } }));
    const r = wineRun(prefix, EXE, ['token'], out('token-default.txt'), { MT5X_NO_KEYCHAIN: '1' });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/moved the data folder .*FXExecutorV2 to .*\\mt5-executor/);
    expect(r.out).toContain('Port = 17999');
    expect(existsSync(join(roaming(), 'FXExecutorV2'))).toBe(false);
    expect(existsSync(join(roaming(), 'mt5-executor', 'config.json'))).toBe(true);
  });

  it('start: the simulated terminal on Linux connects to the bridge under wine and trades one open and close', async () => {
    const data = mkdtempSync(join(tmpdir(), 'mt5x-win-data-'));
    const [bridgePort, apiPort] = [await freePort(), await freePort()];
    const env = { MT5X_DATA_DIR: winPath(data), MT5X_BRIDGE_PORT: String(bridgePort), MT5X_API_PORT: String(apiPort), MT5X_PRIME_AT_START: 'false' };
    const host = wineStart(prefix, EXE, ['start'], out('start.txt'), env);
    const log = () => readFileSync(out('start.txt'), 'utf8');
    let sim: SimTerminal | undefined;
    try {
      await until(() => log().includes('"host started"'), 90_000, `host started under wine:\n${existsSync(out('start.txt')) ? log() : ''}`);
      expect(log()).toContain('mt5-executor token'); // where to get the token…
      // one host per data folder, under Windows too
      const second = wineRun(prefix, EXE, ['start'], out('start-second.txt'), { ...env, MT5X_BRIDGE_PORT: String(await freePort()) });
      expect(second.status).toBe(1);
      expect(second.out).toMatch(/another mt5-executor host \(process \d+/);
      const tok = wineRun(prefix, EXE, ['token'], out('token.txt'), env);
      const api = wineRun(prefix, EXE, ['token', '--api'], out('token-api.txt'), env);
      const bridgeToken = /^ {4}(\S{32,})\r?$/m.exec(tok.out)?.[1];
      const apiToken = /^ {4}(\S{32,})\r?$/m.exec(api.out)?.[1];
      expect(bridgeToken, tok.out).toBeDefined();
      expect(log()).not.toContain(bridgeToken!); // …never the token itself
      figures.credentialStore = /kept in the ([^)]*\)?)/.exec(tok.out)?.[1] ?? '?';
      const broker = makeBroker({}, [symbolSpec('EURUSD')]);
      const bars = sliceBars(parseBars(readFileSync('data/EURUSD_H1_2015-2022.csv', 'utf8')), 0, 1500);
      sim = new SimTerminal({ url: `ws://127.0.0.1:${bridgePort}`, token: bridgeToken!, broker });
      sim.setHistory('EURUSD', 'H1', bars, 1200);
      broker.quote('EURUSD', bars.open[1200]!, bars.open[1200]! + 0.0001, bars.time[1200]! * 1000);
      await sim.connect();
      await until(() => sim!.welcome !== undefined, 30_000, 'WELCOME from the host under wine');
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`http://127.0.0.1:${apiPort}${path}`, { method, headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
        return (await r.json()) as { status: string; result: { ticket: string; volume: number } };
      };
      const opened = await call('POST', '/orders', { symbol: 'EURUSD', side: 'BUY', volume: 0.01 });
      expect(opened, JSON.stringify(opened)).toMatchObject({ status: 'executed', result: { volume: 0.01 } });
      expect(broker.positionList().map((p) => p.ticket.toString())).toEqual([opened.result.ticket]);
      const closed = await call('POST', `/positions/${opened.result.ticket}/close`, {});
      expect(closed).toMatchObject({ status: 'executed', result: { volume: 0.01 } });
      expect(broker.positionList()).toHaveLength(0);
    } finally {
      await sim?.close();
      host.kill('SIGTERM');
    }
  });

  it("install-ea compiles with the terminal's MetaEditor (a fixture) and shows its errors; paths with spaces arrive whole", () => {
    const drive = join(prefix, 'drive_c');
    mkdirSync(join(drive, 'Program Files', 'MetaTrader 5'), { recursive: true });
    copyFileSync(FAKE_METAEDITOR, join(drive, 'Program Files', 'MetaTrader 5', 'MetaEditor64.exe'));
    const terminal = join(drive, 'users', user(), 'My Terminals', 'T1');
    mkdirSync(join(terminal, 'MQL5', 'Experts'), { recursive: true });
    writeFileSync(join(terminal, 'origin.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('C:\\Program Files\\MetaTrader 5', 'utf16le')]));
    const win = `C:\\users\\${user()}\\My Terminals\\T1`;
    const ok = wineRun(prefix, EXE, ['install-ea', '--terminal', win], out('install-ea-compile.txt'));
    expect(ok.status, ok.out).toBe(0);
    expect(ok.out).toContain('compiled with C:\\Program Files\\MetaTrader 5\\MetaEditor64.exe: 0 errors, 0 warning(s)');
    expect(ok.out).toContain('Navigator, right-click Expert Advisors > Refresh');
    // the arguments as the compiler received them: whole paths, no /portable (the terminal's own data folder)
    const temp = join(drive, 'users', user(), 'Temp');
    const logs = readdirSync(temp).filter((d) => d.startsWith('metaeditor-')).map((d) => join(temp, d, 'compile.log.args.json')).filter(existsSync);
    const args = JSON.parse(readFileSync(logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!, 'utf8')) as string[];
    expect(args.slice(0, 2)).toEqual([`/compile:${win}\\MQL5\\Experts\\ExecutorBridge.mq5`, `/inc:${win}\\MQL5`]);
    expect(args[2]).toMatch(/^\/log:C:\\users\\.*\\compile\.log$/);
    const bad = wineRun(prefix, EXE, ['install-ea', '--terminal', win], out('install-ea-errors.txt'), { FAKE_METAEDITOR_ERROR_LINE: '12' });
    expect(bad.status, bad.out).toBe(1);
    expect(bad.out).toContain(`${win}\\MQL5\\Experts\\ExecutorBridge.mq5:12:1: error 149: 'fixture' - unexpected token`);
    expect(bad.out).toContain('compile FAILED: 1 error(s)');
  });

  it('the installer: silent per-user install with shortcuts and the logon option, silent uninstall keeps the data folder', async () => {
    const setup = join('dist', `mt5-executor-setup-${VERSION}.exe`);
    figures.installerMB = (statSync(setup).size / 1e6).toFixed(1);
    figures.zipMB = (statSync(join('dist', `mt5-executor-${VERSION}-win-x64.zip`)).size / 1e6).toFixed(1);
    const inst = wineRun(prefix, setup, ['/S', '/AUTOSTART'], out('setup.txt'));
    expect(inst.status, inst.out).toBe(0);
    figures.silentInstallMs = inst.ms.toFixed(0);
    const local = join(prefix, 'drive_c', 'users', user(), 'AppData', 'Local', 'Programs', 'mt5-executor');
    const menu = join(roaming(), 'Microsoft', 'Windows', 'Start Menu', 'Programs');
    expect(readdirSync(local).sort()).toEqual(['README.txt', 'data', 'examples', 'keyring.win32-x64-msvc.node', 'mql5', 'mt5-executor.exe', 'uninstall.exe']);
    expect(readdirSync(join(menu, 'mt5-executor')).sort()).toEqual(['Open the dashboard.lnk', 'Put the EA into MetaTrader 5.lnk', 'Start mt5-executor.lnk', 'Uninstall mt5-executor.lnk', 'mt5-executor command prompt.lnk']);
    expect(readdirSync(join(menu, 'StartUp'))).toContain('mt5-executor.lnk');
    const reg = spawnSync('wine', ['reg', 'query', 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\mt5-executor'], { encoding: 'utf8', env: { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all' } });
    expect(reg.stdout).toMatch(/DisplayVersion\s+REG_SZ\s+0\.1\.0/);
    // the installed program runs, and carries the EA: install-ea into a terminal data folder of this prefix
    const terminal = join(roaming(), 'MetaQuotes', 'Terminal', 'D0E8209F77C8CF37AD8BF550E51FF075');
    mkdirSync(join(terminal, 'MQL5', 'Experts'), { recursive: true });
    const ea = wineRun(prefix, join(local, 'mt5-executor.exe'), ['install-ea'], out('install-ea.txt'));
    expect(ea.status, ea.out).toBe(0);
    expect(readFileSync(join(terminal, 'MQL5', 'Experts', 'ExecutorBridge.mq5'), 'utf8')).toBe(readFileSync('mql5/Experts/ExecutorBridge.mq5', 'utf8'));
    expect(existsSync(join(terminal, 'MQL5', 'Include', 'ExecutorBridge', 'Protocol.mqh'))).toBe(true);
    // while the installed host runs, neither a reinstall nor the uninstaller touch its files (exit code 2: aborted)
    const running = wineStart(prefix, join(local, 'mt5-executor.exe'), ['start'], out('installed-start.txt'), {
      MT5X_DATA_DIR: winPath(mkdtempSync(join(tmpdir(), 'mt5x-win-data-'))), MT5X_BRIDGE_PORT: String(await freePort()), MT5X_API_PORT: String(await freePort()), MT5X_PRIME_AT_START: 'false',
    });
    try {
      await until(() => existsSync(out('installed-start.txt')) && readFileSync(out('installed-start.txt'), 'utf8').includes('"host started"'), 90_000, 'the installed host started');
      expect(wineRun(prefix, setup, ['/S'], out('setup-running.txt')).status).toBe(2);
      // _?= runs the uninstaller in place, so its exit code is the uninstall's
      expect(wineRun(prefix, join(local, 'uninstall.exe'), ['/S', `_?=${winPath(local).replace(/^Z:.*drive_c/, 'C:')}`], out('uninstall-running.txt')).status).toBe(2);
      expect(existsSync(join(local, 'mt5-executor.exe'))).toBe(true);
    } finally {
      running.kill('SIGTERM');
      await new Promise((res) => running.on('exit', res));
    }
    // uninstall: the NSIS uninstaller copies itself away and returns at once; wait for the folder to go
    mkdirSync(join(roaming(), 'mt5-executor'), { recursive: true });
    writeFileSync(join(roaming(), 'mt5-executor', 'keep-me.txt'), 'the trader’s data');
    const un = wineRun(prefix, join(local, 'uninstall.exe'), ['/S'], out('uninstall.txt'));
    expect(un.status, un.out).toBe(0);
    await until(() => !existsSync(local), 60_000, 'the program folder removed');
    expect(existsSync(join(menu, 'mt5-executor'))).toBe(false);
    expect(readdirSync(join(menu, 'StartUp'))).not.toContain('mt5-executor.lnk');
    expect(readFileSync(join(roaming(), 'mt5-executor', 'keep-me.txt'), 'utf8')).toBe('the trader’s data');
  });
});
