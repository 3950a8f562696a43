/**
 * Large offline runs on Linux (backtest, ml): glibc's malloc asked to back its large blocks with transparent huge
 * pages (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, glibc ≥ 2.35; older ones ignore the tunable).
 *
 * Why: a series of 1 M bars is ~56 MB of fresh Float64 columns, and fresh memory costs a page fault per 4 KB page on
 * first touch. On the 2-core VM of docs/PERFORMANCE.md a fault costs 12–15 µs (the hypervisor's share), so those
 * 14,000 faults were ~200 ms of a 400 ms CSV parse, and ~20,000 faults a third of a backtest's time; with 2 MB pages
 * they are a few hundred. glibc reads the tunable only when a process starts, so the command runs again in a child
 * process with it set (~40 ms of Node's start-up). Not on Windows or macOS (no such tunable); `MT5X_HUGE_PAGES=0`
 * turns it off; nothing happens when the kernel's transparent huge pages are `never`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

const TUNABLE = 'glibc.malloc.hugetlb=1';

/** Whether this process should run again with the tunable (Linux, not set yet, not turned off, THP available). */
export function wantsHugePages(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux' || env.MT5X_HUGE_PAGES === '0') return false;
  if ((env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb')) return false; // set already (by us or the user)
  try {
    return !/\[never\]/.test(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  } catch {
    return false; // no THP in this kernel
  }
}

/** The environment of the child: the tunable added to any the user set. */
export function hugePagesEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GLIBC_TUNABLES: env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${TUNABLE}` : TUNABLE };
}

/**
 * Run this same command again with huge pages and return its exit code (a signal's death as 128 + its number, as a
 * shell says it); undefined when there is no reason to (then the caller runs the command itself). Ctrl-C reaches
 * the child from the terminal (same process group); a SIGTERM or SIGHUP sent to this process only is passed on.
 */
export function rerunWithHugePages(): Promise<number> | undefined {
  if (!wantsHugePages()) return undefined;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: hugePagesEnv(process.env) });
    const pass = (sig: NodeJS.Signals) => () => void child.kill(sig);
    const handlers: [NodeJS.Signals, () => void][] = [['SIGINT', () => {}], ['SIGTERM', pass('SIGTERM')], ['SIGHUP', pass('SIGHUP')]];
    for (const [s, h] of handlers) process.on(s, h);
    const done = (code: number) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code);
    };
    child.on('error', (e) => {
      process.stderr.write(`mt5-executor: could not run with huge pages (${e.message}); set MT5X_HUGE_PAGES=0\n`);
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}
