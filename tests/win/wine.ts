/** Running Windows programs under wine for the smoke tests: a throw-away prefix set to Windows 10, output to files. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const WIN_APP = 'dist/win/mt5-executor';
export const EXE = join(WIN_APP, 'mt5-executor.exe');
/** The fixture standing in for MetaEditor64.exe (tests/win/fake-metaeditor.cjs as a Windows executable). */
export const FAKE_METAEDITOR = 'dist/win-fixtures/MetaEditor64.exe';

export function wineEnv(prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // winemenubuilder would write .desktop files into this machine's home; mono/gecko prompts would hang a prefix boot
  return { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'winemenubuilder.exe=d;mscoree=d;mshtml=d', ...extra };
}

/** A Linux path as the Windows side sees it (drive Z: is /). */
export const winPath = (p: string) => `Z:${p.replace(/\//g, '\\')}`;

/**
 * Run a Windows program to its end with standard output and error in files (wine 8's node.exe fails with EBADF
 * writing to a pipe). Returns the exit code, both outputs and the wall time.
 */
export function wineRun(prefix: string, file: string, args: string[], outFile: string, extra: Record<string, string> = {}, cwd?: string): { status: number | null; out: string; ms: number } {
  const fd = openSync(outFile, 'w');
  const t0 = performance.now();
  const r = spawnSync('wine', [file, ...args], { env: wineEnv(prefix, extra), stdio: ['ignore', fd, fd], timeout: 180_000, ...(cwd ? { cwd } : {}) });
  const ms = performance.now() - t0;
  closeSync(fd);
  return { status: r.status, out: readFileSync(outFile, 'utf8'), ms };
}

/** Start a Windows program in the background, output to a file. */
export function wineStart(prefix: string, file: string, args: string[], outFile: string, extra: Record<string, string> = {}): ChildProcess {
  const fd = openSync(outFile, 'w');
  const child = spawn('wine', [file, ...args], { env: wineEnv(prefix, extra), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

export function wineserverKill(prefix: string): void {
  spawnSync('wineserver', ['-k'], { env: wineEnv(prefix) });
}
