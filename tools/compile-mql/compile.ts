/**
 * npm run compile:ea [-- --metaeditor PATH] [--require-metaeditor] [FILE.mq5]
 *
 * 1. Regenerates mql5/Include/ExecutorBridge/Protocol.mqh from src/protocol (fails if it was stale and
 *    could not be written).
 * 2. Compiles the EA with MetaEditor when one is found (natively on Windows, through Wine elsewhere) and
 *    prints every error as file:line; fails on any error or on a log without a result line.
 * 3. Without MetaEditor: says what to do, then builds the EA with the mql-test-harness (g++) — a useful
 *    check, not a substitute: a MetaEditor compile stays the release gate (docs/ea.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildEa, formatError, MqlBuildError } from '../mql-test-harness/src/build.js';
import { compileWithMetaEditor, findMetaEditor } from './metaeditor.js';
import { MQH_PATH, renderMqh } from './protocol-gen.js';

const argv = process.argv.slice(2);
let given: string | undefined;
let requireMe = false;
let file = 'mql5/Experts/ExecutorBridge.mq5';
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--metaeditor') given = argv[++i];
  else if (a.startsWith('--metaeditor=')) given = a.slice('--metaeditor='.length);
  else if (a === '--require-metaeditor') requireMe = true;
  else if (a === '--help' || a === '-h') {
    process.stdout.write('usage: npm run compile:ea -- [--metaeditor PATH] [--require-metaeditor] [FILE.mq5]\n');
    process.exit(0);
  } else file = a;
}
const mql5Root = path.resolve('mql5');

const mqh = renderMqh();
if (readFileSync(MQH_PATH, 'utf8') !== mqh) {
  writeFileSync(MQH_PATH, mqh);
  process.stdout.write(`${MQH_PATH} was stale: regenerated from src/protocol\n`);
}

const metaeditor = findMetaEditor(given);
if (given && !metaeditor) {
  process.stderr.write(`MetaEditor not found at ${given}\n`);
  process.exit(2);
}
if (metaeditor) {
  process.stdout.write(`compiling ${file} with ${metaeditor}\n`);
  const out = compileWithMetaEditor(metaeditor, path.resolve(file), mql5Root);
  for (const m of out.log.messages) {
    process.stdout.write(`${m.file}:${m.line}:${m.column}: ${m.severity} ${m.code}: ${m.message}\n`);
  }
  if (!out.log.complete) {
    process.stderr.write(`MetaEditor wrote no result (log ${out.logFile}): it compiled nothing. Check the paths (no spaces) and that ${out.command.join(' ')} runs.\n`);
    process.exit(1);
  }
  process.stdout.write(`MetaEditor: ${out.log.errors} errors, ${out.log.warnings} warnings\n`);
  process.exit(out.log.errors > 0 ? 1 : 0);
}

process.stdout.write(
  [
    'MetaEditor was not found, so this is NOT a MetaEditor compile.',
    '  Windows: npm run compile:ea -- --metaeditor "C:\\Program Files\\MetaTrader 5\\MetaEditor64.exe"',
    '  Linux/macOS with Wine: npm run compile:ea -- --metaeditor ~/.wine/drive_c/Program\\ Files/MetaTrader\\ 5/MetaEditor64.exe',
    '  or set METAEDITOR, or open mql5/Experts/ExecutorBridge.mq5 in MetaEditor and press F7 (Compile).',
    'Checking the source with the mql-test-harness (g++) instead…',
    '',
  ].join('\n'),
);
if (requireMe) process.exit(2);
try {
  const r = await buildEa({ entry: file, includeRoot: path.join(mql5Root, 'Include') });
  process.stdout.write(`harness build OK: ${r.binary}${r.cached ? ' (cached)' : ''}\n`);
} catch (e) {
  if (e instanceof MqlBuildError) {
    for (const x of e.errors) process.stderr.write(`${formatError(x)}\n`);
    process.exit(1);
  }
  throw e;
}
