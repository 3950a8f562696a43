/**
 * `mt5-executor install-ea`: puts the ExecutorBridge EA and its includes into MetaTrader 5.
 *
 * Each terminal keeps its files in a data folder %APPDATA%\MetaQuotes\Terminal\<id>\ (MQL5\Experts,
 * MQL5\Include), named by the install folder written in its origin.txt. The EA goes to
 * MQL5\Experts\ExecutorBridge.mq5, the includes to MQL5\Include\ExecutorBridge\, with a manifest of what was
 * written: a later install replaces files it wrote itself, and refuses (without --force) to overwrite a file
 * someone changed — nothing of that terminal is written then. With the terminal's MetaEditor present the EA is
 * compiled and every error shown.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../host/config.js';
import { DEFAULT_BRIDGE_PORT } from '../host/bridge/server.js';
import { compileWithMetaEditor, decodeLog } from './metaeditor.js';
import { findRepoFile } from '../host/paths.js';
import { VERSION } from '../host/version.js';

type Write = (text: string) => void;

export interface TerminalFolder {
  id: string;
  /** the data folder (holding MQL5\) */
  dir: string;
  /** the terminal's install folder, from origin.txt */
  origin: string | undefined;
}

export const MANIFEST = join('Include', 'ExecutorBridge', '.mt5-executor-install.json');

/** %APPDATA%\MetaQuotes\Terminal — where MetaTrader 5 keeps one data folder per installed terminal. */
export function terminalsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'MetaQuotes', 'Terminal');
}

/** A terminal's data folder, named by its origin.txt (UTF-16LE as MetaTrader writes it) when there is one. */
export function terminalAt(dir: string, id: string): TerminalFolder {
  const originFile = join(dir, 'origin.txt');
  const origin = existsSync(originFile) ? decodeLog(readFileSync(originFile)).replace(/^\uFEFF/, '').trim() || undefined : undefined;
  return { id, dir, origin };
}

/** The terminals' data folders under `root`: folders with an MQL5 folder (Common and Community have none). */
export function findTerminals(root: string): TerminalFolder[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'MQL5')))
    .map((d) => terminalAt(join(root, d.name), d.name))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The EA's files as shipped with the program: paths relative to MQL5\ and where they are now. */
export function eaFiles(): { rel: string; src: string }[] {
  const root = dirname(dirname(findRepoFile(join('mql5', 'Experts', 'ExecutorBridge.mq5'))));
  const inc = join(root, 'Include', 'ExecutorBridge');
  return [
    { rel: join('Experts', 'ExecutorBridge.mq5'), src: join(root, 'Experts', 'ExecutorBridge.mq5') },
    ...readdirSync(inc).filter((f) => f.endsWith('.mqh')).sort().map((f) => ({ rel: join('Include', 'ExecutorBridge', f), src: join(inc, f) })),
  ];
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export interface InstallOutcome {
  status: 'installed' | 'unchanged' | 'refused';
  written: string[];
  /** files changed since the last install (or not written by it), which were in the way */
  changed: string[];
  backups: string[];
}

/** Copy the EA's files into one terminal's MQL5 folder; all of them or (refused) none. */
export function installInto(mql5: string, files: { rel: string; src: string }[], opts: { force?: boolean; now?: Date } = {}): InstallOutcome {
  const manifestFile = join(mql5, MANIFEST);
  let manifest: Record<string, string> = {};
  try {
    manifest = (JSON.parse(readFileSync(manifestFile, 'utf8')) as { files?: Record<string, string> }).files ?? {};
  } catch {
    /* first install, or an unreadable manifest: every differing file counts as changed */
  }
  const key = (rel: string) => rel.split(sep).join('/');
  const toWrite: { rel: string; src: string }[] = [];
  const changed: string[] = [];
  for (const f of files) {
    const dest = join(mql5, f.rel);
    if (!existsSync(dest)) {
      toWrite.push(f);
      continue;
    }
    const h = sha(dest);
    if (h === sha(f.src)) continue;
    toWrite.push(f);
    if (manifest[key(f.rel)] !== h) changed.push(dest);
  }
  if (changed.length && !opts.force) return { status: 'refused', written: [], changed, backups: [] };
  const stamp = (opts.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const backups: string[] = [];
  for (const dest of changed) {
    const b = `${dest}.bak-${stamp}`;
    copyFileSync(dest, b);
    backups.push(b);
  }
  for (const f of toWrite) {
    const dest = join(mql5, f.rel);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(f.src, `${dest}.tmp`);
    renameSync(`${dest}.tmp`, dest); // a reader (MetaEditor, the terminal) never sees half a file
  }
  const all = Object.fromEntries(files.map((f) => [key(f.rel), sha(join(mql5, f.rel))]));
  mkdirSync(dirname(manifestFile), { recursive: true });
  writeFileSync(manifestFile, JSON.stringify({ version: VERSION, files: all }, null, 2) + '\n');
  return { status: toWrite.length ? 'installed' : 'unchanged', written: toWrite.map((f) => join(mql5, f.rel)), changed, backups };
}

/** The terminal's MetaEditor (MetaEditor64.exe in its install folder), when it is there. */
export function metaEditorOf(t: TerminalFolder): string | undefined {
  if (!t.origin) return undefined;
  return ['MetaEditor64.exe', 'metaeditor64.exe'].map((n) => join(t.origin!, n)).find((p) => existsSync(p));
}

function configuredBridgePort(env: NodeJS.ProcessEnv): number {
  try {
    return loadConfig({ env }).bridge.port;
  } catch {
    return DEFAULT_BRIDGE_PORT; // a broken config is `start`'s to report
  }
}

export function nextSteps(port: number, compiled: boolean): string {
  return [
    'Left to do in MetaTrader 5:',
    `  1. ${compiled ? 'In the Navigator, right-click Expert Advisors > Refresh.' : 'Compile the EA: open MQL5\\Experts\\ExecutorBridge.mq5 in MetaEditor (F4 in the terminal) and press F7.'}`,
    '  2. Tools > Options > Expert Advisors: tick "Allow algorithmic trading" and "Allow WebRequest for listed URL", and add 127.0.0.1.',
    '  3. Press "Algo Trading" in the toolbar (it turns green).',
    `  4. Drag ExecutorBridge onto one chart; inputs: Host = 127.0.0.1, Port = ${port}, Token = the line 'mt5-executor token' prints.`,
    '  5. Start the host (Start menu > mt5-executor > Start mt5-executor, or: mt5-executor start).',
  ].join('\n');
}

/** The command: returns the exit code (0 done, 1 refused, no MetaTrader 5 found or compile errors, 2 usage). */
export async function installEaCommand(args: string[], out: Write, err: Write, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { terminal: { type: 'string' }, force: { type: 'boolean' }, 'no-compile': { type: 'boolean' }, 'terminals-dir': { type: 'string' } } }));
  } catch (e) {
    err(`mt5-executor install-ea: ${(e as Error).message}\n`);
    return 2;
  }
  const root = values['terminals-dir'] ?? terminalsRoot(env);
  let terminals = findTerminals(root);
  if (values.terminal) {
    const given = values.terminal;
    const asFolder = existsSync(join(given, 'MQL5')) && statSync(given).isDirectory();
    terminals = asFolder ? [terminalAt(given, given)] : terminals.filter((t) => t.id.toLowerCase() === given.toLowerCase());
    if (!terminals.length) {
      err(`mt5-executor install-ea: no terminal '${given}': give one of the ids below or a data folder holding MQL5 (in MetaTrader 5: File > Open Data Folder)\n${findTerminals(root).map((t) => `  ${t.id}  ${t.origin ?? ''}`).join('\n')}\n`);
      return 2;
    }
  }
  if (!terminals.length) {
    err(`mt5-executor install-ea: no MetaTrader 5 data folder in ${root}. Start MetaTrader 5 once (it creates it), or give the data folder: --terminal <folder> (in MetaTrader 5: File > Open Data Folder).\n`);
    return 1; // nothing to install into: the machine's state, not a mistyped command (exit 2 is for those)
  }
  const files = eaFiles();
  let failed = false;
  let compiledAll = true;
  for (const t of terminals) {
    const mql5 = join(t.dir, 'MQL5');
    out(`${t.origin ?? t.id} (data folder ${t.dir})\n`);
    const r = installInto(mql5, files, { force: values.force ?? false });
    if (r.status === 'refused') {
      failed = true;
      compiledAll = false;
      out(`  NOT installed: these files were changed since mt5-executor put them there (or were not put there by it):\n${r.changed.map((c) => `    ${c}`).join('\n')}\n  Keep your changes elsewhere, then run again with --force (the changed files are backed up beside themselves first).\n`);
      continue;
    }
    out(r.status === 'unchanged' ? '  EA files already up to date\n' : `  copied ${r.written.length} file(s) into ${mql5}\n`);
    for (const b of r.backups) out(`  your changed file was backed up to ${b}\n`);
    const me = values['no-compile'] ? undefined : metaEditorOf(t);
    if (!me) {
      compiledAll = false;
      out(values['no-compile'] ? '  not compiled (--no-compile)\n' : `  not compiled: no MetaEditor64.exe in ${t.origin ?? 'the terminal folder (origin.txt missing)'}\n`);
      continue;
    }
    try {
      const c = compileWithMetaEditor(me, join(mql5, 'Experts', 'ExecutorBridge.mq5'), mql5, { portable: false });
      for (const m of c.log.messages) out(`  ${m.file}:${m.line}:${m.column}: ${m.severity} ${m.code}: ${m.message}\n`);
      if (!c.log.complete || c.log.errors > 0) {
        failed = true;
        compiledAll = false;
        out(c.log.complete ? `  compile FAILED: ${c.log.errors} error(s)\n` : `  MetaEditor compiled nothing (no result in its log ${c.logFile})\n`);
      } else out(`  compiled with ${me}: 0 errors, ${c.log.warnings} warning(s)\n`);
    } catch (e) {
      failed = true;
      compiledAll = false;
      out(`  compile failed: ${(e as Error).message}\n`);
    }
  }
  out('\n' + nextSteps(configuredBridgePort(env), compiledAll) + '\n');
  return failed ? 1 : 0;
}
