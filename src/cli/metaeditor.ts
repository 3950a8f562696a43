/**
 * MetaEditor on the command line: find it, run it (natively on Windows, through Wine elsewhere), read its
 * UTF-16LE log. MetaEditor's exit code is not an error count (it is the number of files processed, and
 * under Wine often meaningless): only the log decides.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MetaEditorMessage {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  code: number;
  message: string;
}

export interface MetaEditorLog {
  messages: MetaEditorMessage[];
  errors: number;
  warnings: number;
  /** false when the log has no "Result:" line: MetaEditor did not compile anything */
  complete: boolean;
}

/** Decode a MetaEditor log (UTF-16LE with a BOM as MetaEditor writes it; UTF-8 accepted too). */
export function decodeLog(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  // UTF-16LE without a BOM: every other byte of ASCII text is 0
  if (buf.length >= 4 && buf[1] === 0 && buf[3] === 0) return buf.toString('utf16le');
  return buf.toString('utf8');
}

export function parseLog(text: string): MetaEditorLog {
  const messages: MetaEditorMessage[] = [];
  let errors = -1;
  let warnings = -1;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^(.*)\((\d+),(\d+)\) : (error|warning) (\d+): (.*)$/.exec(line);
    if (m) {
      messages.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]), severity: m[4] as 'error' | 'warning', code: Number(m[5]), message: m[6]! });
      continue;
    }
    const r = /(\d+) errors?, (\d+) warnings?/.exec(line);
    if (r && /result/i.test(line)) {
      errors = Number(r[1]);
      warnings = Number(r[2]);
    }
  }
  const complete = errors >= 0;
  return {
    messages,
    errors: complete ? Math.max(errors, messages.filter((x) => x.severity === 'error').length) : messages.filter((x) => x.severity === 'error').length,
    warnings: complete ? warnings : messages.filter((x) => x.severity === 'warning').length,
    complete,
  };
}

/** Where MetaEditor usually is: the given path, $METAEDITOR, the default Windows and Wine install folders. */
export function findMetaEditor(given?: string): string | undefined {
  const candidates = [
    given,
    process.env.METAEDITOR,
    'C:\\Program Files\\MetaTrader 5\\MetaEditor64.exe',
    path.join(os.homedir(), '.wine', 'drive_c', 'Program Files', 'MetaTrader 5', 'MetaEditor64.exe'),
    path.join(os.homedir(), '.mt5', 'drive_c', 'Program Files', 'MetaTrader 5', 'MetaEditor64.exe'),
  ].filter((x): x is string => Boolean(x));
  return candidates.find((c) => existsSync(c));
}

/** A path as Wine's Windows side sees it (Z: maps to /). */
function winPath(p: string): string {
  return process.platform === 'win32' ? p : `Z:${path.resolve(p).replace(/\//g, '\\')}`;
}

export interface CompileOutcome {
  log: MetaEditorLog;
  logFile: string;
  command: string[];
}

/**
 * Compile one .mq5 with MetaEditor; `mql5Root` is the folder holding Include/ and Experts/. `portable` (the
 * default, for the repository's own tree) makes MetaEditor use its own folder as data folder; a terminal's data
 * folder (`install-ea`) is compiled without it.
 */
export function compileWithMetaEditor(metaeditor: string, file: string, mql5Root: string, opts: { portable?: boolean } = {}): CompileOutcome {
  const native = process.platform === 'win32';
  for (const p of native ? [] : [file, mql5Root]) {
    if (/\s/.test(path.resolve(p))) {
      throw new Error(`${path.resolve(p)} contains a space: MetaEditor (above all under Wine) silently compiles nothing then. Move the project or use a symlink without spaces.`);
    }
  }
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'metaeditor-'));
  const logFile = path.join(logDir, 'compile.log');
  // on Windows the values are quoted after the colon (/compile:"C:\Users\A B\…"), as MetaEditor expects for paths with spaces
  const q = (v: string) => (native ? `"${v}"` : v);
  const args = [...(opts.portable === false ? [] : ['/portable']), `/compile:${q(winPath(file))}`, `/inc:${q(winPath(mql5Root))}`, `/log:${q(winPath(logFile))}`];
  const command = native ? [metaeditor, ...args] : ['wine', metaeditor, ...args];
  const r = spawnSync(command[0]!, command.slice(1), { stdio: 'inherit', timeout: 300_000, windowsVerbatimArguments: native, ...(native ? { argv0: `"${metaeditor}"` } : {}) });
  if (r.error) throw new Error(`could not run ${command[0]}: ${r.error.message}${native ? '' : ' (is wine installed?)'}`);
  if (!existsSync(logFile)) {
    return { log: { messages: [], errors: 0, warnings: 0, complete: false }, logFile, command };
  }
  return { log: parseLog(decodeLog(readFileSync(logFile))), logFile, command };
}
