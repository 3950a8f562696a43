/**
 * Build an MQL5 program with g++: lint, translate, compile against the runtime (its object is built once
 * per flag set and cached), link. Errors come back as .mq5/.mqh file:line.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { lint } from './lint.js';
import { load, translate, type SourceError } from './translate.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
/** The runtime sources: next to this file, or (when bundled, e.g. into dist/bench) under the working directory. */
export const RUNTIME_DIR = [path.resolve(here, '../runtime'), path.resolve('tools/mql-test-harness/runtime')].find((d) =>
  existsSync(path.join(d, 'mql5rt.h')),
) ?? path.resolve(here, '../runtime');

export interface BuildOptions {
  /** the .mq5 file */
  entry: string;
  /** the MQL5/Include folder that `#include <…>` resolves against */
  includeRoot: string;
  /** build with AddressSanitizer and UndefinedBehaviorSanitizer */
  sanitize?: boolean;
  /** where binaries and translated sources go (default: a cache folder in the OS temp dir) */
  cacheDir?: string;
  /** the compiler (default g++ or $CXX) */
  cxx?: string;
}

export interface BuildResult {
  binary: string;
  cppFile: string;
  /** true when an identical build was reused */
  cached: boolean;
  ms: { translate: number; runtime: number; compile: number };
}

export class MqlBuildError extends Error {
  constructor(
    readonly errors: SourceError[],
    readonly stage: 'lint' | 'compile',
  ) {
    super(`${stage === 'lint' ? 'the harness lint rejected' : 'g++ rejected'} the program:\n${errors.map(formatError).join('\n')}`);
    this.name = 'MqlBuildError';
  }
}

export function formatError(e: SourceError): string {
  return `${e.file}:${e.line}: error: ${e.message}`;
}

function defaultCache(): string {
  return path.join(os.tmpdir(), `mql-test-harness-${os.userInfo().uid}`);
}

function flags(sanitize: boolean): string[] {
  const f = ['-std=c++17', '-O1', '-Werror=return-type', '-Wno-unused-value'];
  if (sanitize) f.push('-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined');
  return f;
}

/** Parse g++ diagnostics into file:line errors (the #line directives make them point at MQL5 sources). */
export function parseCompilerErrors(stderr: string): SourceError[] {
  const out: SourceError[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^(.+?):(\d+):(?:\d+:)? (?:fatal )?error: (.*)$/.exec(line);
    if (m) out.push({ file: m[1]!, line: Number(m[2]), message: m[3]! });
  }
  return out;
}

async function cxxVersion(cxx: string): Promise<string> {
  try {
    return (await run(cxx, ['--version'])).stdout.split('\n')[0] ?? '';
  } catch {
    throw new Error(`${cxx} not found: the mql-test-harness needs g++ (Debian/Ubuntu: apt-get install g++; .ci/run installs it)`);
  }
}

/** The runtime object for a flag set, built once and cached (atomic rename: parallel builds are safe). */
async function runtimeObject(cxx: string, cacheDir: string, sanitize: boolean): Promise<{ file: string; built: boolean }> {
  const src = readFileSync(path.join(RUNTIME_DIR, 'mql5rt.cpp'));
  const hdr = readFileSync(path.join(RUNTIME_DIR, 'mql5rt.h'));
  const key = createHash('sha1').update(src).update(hdr).update(flags(sanitize).join(' ')).update(await cxxVersion(cxx)).digest('hex').slice(0, 16);
  const file = path.join(cacheDir, `mql5rt-${key}.o`);
  if (existsSync(file)) return { file, built: false };
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await run(cxx, [...flags(sanitize), '-c', path.join(RUNTIME_DIR, 'mql5rt.cpp'), '-o', tmp]);
  renameSync(tmp, file);
  return { file, built: true };
}

export async function buildEa(opts: BuildOptions): Promise<BuildResult> {
  const cxx = opts.cxx ?? process.env.CXX ?? 'g++';
  const cacheDir = opts.cacheDir ?? defaultCache();
  mkdirSync(cacheDir, { recursive: true });
  const sanitize = opts.sanitize ?? false;
  const t0 = performance.now();
  const prog = load(path.resolve(opts.entry), path.resolve(opts.includeRoot));
  const lintErrors = [...prog.errors, ...lint(prog)];
  if (lintErrors.length) throw new MqlBuildError(lintErrors, 'lint');
  const tr = translate(prog);
  if (tr.errors.length) throw new MqlBuildError(tr.errors, 'lint');
  const t1 = performance.now();
  const rt = await runtimeObject(cxx, cacheDir, sanitize);
  const t2 = performance.now();
  const base = path.basename(opts.entry).replace(/\.mq5$/, '');
  const key = createHash('sha1').update(tr.cpp).update(rt.file).digest('hex').slice(0, 16);
  const cppFile = path.join(cacheDir, `${base}-${key}.cpp`);
  const binary = path.join(cacheDir, `${base}-${key}${sanitize ? '-san' : ''}`);
  if (existsSync(binary)) {
    return { binary, cppFile, cached: true, ms: { translate: t1 - t0, runtime: t2 - t1, compile: 0 } };
  }
  writeFileSync(cppFile, tr.cpp);
  const tmp = `${binary}.${process.pid}.${Date.now()}.tmp`;
  try {
    await run(cxx, [...flags(sanitize), `-I${RUNTIME_DIR}`, cppFile, rt.file, '-o', tmp], { maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? e);
    const errors = parseCompilerErrors(stderr);
    throw new MqlBuildError(errors.length ? errors : [{ file: cppFile, line: 0, message: stderr.slice(0, 4000) }], 'compile');
  }
  renameSync(tmp, binary);
  return { binary, cppFile, cached: false, ms: { translate: t1 - t0, runtime: t2 - t1, compile: performance.now() - t2 } };
}
