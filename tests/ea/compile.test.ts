/**
 * The harness's compile path on bad and edge-case MQL5: errors name the .mq5/.mqh line, the lint refuses
 * what the harness cannot judge, the runtime keeps MQL5's semantics; and the MetaEditor log reader.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLog, parseLog } from '../../tools/compile-mql/metaeditor.js';
import { buildEa, MqlBuildError } from '../../tools/mql-test-harness/src/build.js';
import { INCLUDE_ROOT } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mql-compile-'));
mkdirSync(path.join(dir, 'Include', 'T'), { recursive: true });

/** Write a program (and optional include files) and build it; returns the errors, or the binary. */
async function tryBuild(name: string, source: string, includes: Record<string, string> = {}) {
  for (const [f, text] of Object.entries(includes)) writeFileSync(path.join(dir, 'Include', 'T', f), text);
  const file = path.join(dir, `${name}.mq5`);
  writeFileSync(file, source);
  try {
    const r = await buildEa({ entry: file, includeRoot: path.join(dir, 'Include') });
    return { file, binary: r.binary, errors: [] as string[] };
  } catch (e) {
    if (!(e instanceof MqlBuildError)) throw e;
    return { file, binary: '', errors: e.errors.map((x) => `${path.basename(x.file)}:${x.line}: ${x.message}`), stage: e.stage };
  }
}

/** Run a script (OnStart) with no terminal behind it; returns what it printed and how it ended. */
function runScript(binary: string) {
  const r = spawnSync(binary, [], { input: '', encoding: 'utf8', timeout: 10_000 });
  const prints = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { n: string; s?: string }).filter((m) => m.n === 'print').map((m) => m.s);
  return { prints, status: r.status, signal: r.signal, stderr: r.stderr };
}

describe('negative compile cases: errors point at the MQL5 line', () => {
  it('a C library call does not compile, as in MetaEditor (no C headers in the EA scope)', async () => {
    const r = await tryBuild('printf', '#property strict\nvoid OnStart()\n  {\n   int x = 1;\n   printf("%d", x);\n  }\n');
    expect(r.errors.join('\n')).toMatch(/printf\.mq5:5: .*printf/);
  });

  it('an undeclared name in an included .mqh names the .mqh and its line', async () => {
    const r = await tryBuild('inc', '#include <T/Lib.mqh>\nvoid OnStart()\n  {\n   Print(Twice(2));\n  }\n', {
      'Lib.mqh': '// a library\nint Twice(const int v)\n  {\n   return v * factr;\n  }\n',
    });
    expect(r.errors.join('\n')).toMatch(/Lib\.mqh:4: .*factr/);
  });

  it('assigning to an input is an error, as in MQL5', async () => {
    const r = await tryBuild('input', 'input int InpX = 3;\nvoid OnStart()\n  {\n   InpX = 4;\n  }\n');
    expect(r.errors.join('\n')).toMatch(/input\.mq5:4: .*read-only/);
  });

  it('a function that can end without returning its value is an error', async () => {
    const r = await tryBuild('noreturn', 'int F(const int v)\n  {\n   if(v > 0)\n      return 1;\n  }\nvoid OnStart() { Print(F(1)); }\n');
    expect(r.errors.join('\n')).toMatch(/noreturn\.mq5:5: /);
  });

  it('a number added to a string without a conversion is refused (stricter than MetaEditor: written in docs/ea.md)', async () => {
    const r = await tryBuild('concat', 'void OnStart()\n  {\n   int n = 5;\n   string s = "n=" + n;\n  }\n');
    expect(r.errors.join('\n')).toMatch(/concat\.mq5:4: /);
  });

  it('the lint refuses C++ the harness cannot judge, each at its line', async () => {
    const src = [
      'struct P { int a; };', // 1
      'class C { public: int v; };', // 2
      'void F(P p) { }', // 3: struct by value
      'void OnStart()', // 4
      '  {', // 5
      '   C *c = new C();', // 6: new (and a pointer)
      '   int *q;', // 7: pointer to a scalar
      '   auto z = 3;', // 8
      '   P x = {1};', // 9: brace initialiser
      '   int a = 1;', // 10
      '   int &r = a;', // 11: local reference
      '   c->v = 2;', // 12
      '  }', // 13
      'void G(MqlTick t) { }', // 14: a terminal structure by value
    ].join('\n');
    const r = await tryBuild('lint', src);
    expect(r.stage).toBe('lint');
    const text = r.errors.join('\n');
    for (const [line, what] of [[3, /by value/], [6, /new/], [7, /pointer to int/], [8, /auto/], [9, /brace/], [11, /reference variable r/], [12, /->/], [14, /MqlTick &t/]] as const) {
      expect(text).toMatch(new RegExp(`lint\\.mq5:${line}: .*${what.source}`));
    }
  });

  it('#import and includes of non-.mqh files are refused', async () => {
    const r = await tryBuild('imports', '#import "user32.dll"\nint MessageBoxW(int a);\n#import\n#include "Other.mq5"\nvoid OnStart() { }\n');
    expect(r.errors.join('\n')).toMatch(/imports\.mq5:1: #import is not allowed/);
    expect(r.errors.join('\n')).toMatch(/imports\.mq5:4: #include of Other\.mq5: only \.mqh files/);
  });
});

describe('runtime semantics', () => {
  it('keeps MQL5 behaviour: StringToCharArray copies the NUL, D literals, enums, string objects from literals', async () => {
    const src = [
      'enum ESide { SIDE_BUY = 0, SIDE_SELL = 1 };',
      'input ESide InpSide = SIDE_SELL;',
      'void OnStart()',
      '  {',
      '   uchar a[];',
      '   int n = StringToCharArray("abc", a);',
      '   Print(n, " ", ArraySize(a), " ", (int)a[3]);',
      '   Print(StringToCharArray("abc", a, 0, StringLen("abc"), CP_UTF8));',
      '   datetime t = D\'2024.01.08 10:00\';',
      '   Print((long)t);',
      '   Print(EnumToString(InpSide), " ", "a" + "b" == "ab");',
      '   uchar f[4];',
      '   Print(ArrayResize(f, 8), " ", ArraySize(f));',
      '   Print(StringFormat("%05.1f|%s|%d|%x", 3.14159, "s", -7, 255));',
      '  }',
    ].join('\n');
    const r = await tryBuild('semantics', src);
    expect(r.errors).toEqual([]);
    const out = runScript(r.binary);
    expect(out.prints).toEqual(['4 4 0', '3', String(Date.UTC(2024, 0, 8, 10) / 1000), 'SIDE_SELL true', '-1 4', '003.1|s|-7|ff']);
  });

  it('stops with a critical error naming the .mq5 line on an array index out of range', async () => {
    const r = await tryBuild('range', 'void OnStart()\n  {\n   int a[];\n   ArrayResize(a, 2);\n   a[2] = 1;\n  }\n');
    expect(r.errors).toEqual([]);
    const out = runScript(r.binary);
    expect(out.signal).toBe('SIGABRT');
    expect(out.stderr).toMatch(/array out of range \(index 2, size 2\) at .*range\.mq5:5/);
  });
});

describe('MetaEditor log (compile:ea)', () => {
  const log = [
    'C:\\EA\\MQL5\\Experts\\ExecutorBridge.mq5(42,7) : error 256: \'foo\' - undeclared identifier',
    'C:\\EA\\MQL5\\Include\\ExecutorBridge\\Bridge.mqh(120,12) : warning 43: possible loss of data due to type conversion',
    ' : information: compiling \'ExecutorBridge.mq5\'',
    'Result: 1 errors, 1 warnings, 734 msec elapsed',
    '',
  ].join('\r\n');

  it('reads the UTF-16LE log: errors and warnings as file:line, the result line decides', () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(log, 'utf16le')]);
    const parsed = parseLog(decodeLog(buf));
    expect(parsed.complete).toBe(true);
    expect(parsed.errors).toBe(1);
    expect(parsed.warnings).toBe(1);
    expect(parsed.messages[0]).toEqual({ file: 'C:\\EA\\MQL5\\Experts\\ExecutorBridge.mq5', line: 42, column: 7, severity: 'error', code: 256, message: "'foo' - undeclared identifier" });
    expect(parsed.messages[1]).toMatchObject({ line: 120, severity: 'warning', code: 43 });
  });

  it('a log without a result line means MetaEditor compiled nothing', () => {
    const parsed = parseLog(decodeLog(Buffer.from('something went wrong\r\n', 'utf16le')));
    expect(parsed.complete).toBe(false);
    const clean = parseLog('Result: 0 errors, 0 warnings, 10 msec elapsed');
    expect(clean).toMatchObject({ complete: true, errors: 0, warnings: 0 });
  });
});

describe('the shipped EA', () => {
  it('defaults to the port the host listens on and labels its inputs as `mt5-executor token` names them', async () => {
    const { readFileSync } = await import('node:fs');
    const { DEFAULT_BRIDGE_PORT } = await import('../../src/host/bridge/server.js');
    const src = readFileSync('mql5/Experts/ExecutorBridge.mq5', 'utf8');
    expect(src).toMatch(new RegExp(`input int +InpPort = ${DEFAULT_BRIDGE_PORT};\\s+// Port`));
    expect(src).toMatch(/input string InpHost = "127\.0\.0\.1";\s+\/\/ Host/);
    expect(src).toMatch(/input string InpToken = "";\s+\/\/ Token/);
  });

  it('builds with the harness', async () => {
    const r = await buildEa({ entry: path.resolve('mql5/Experts/ExecutorBridge.mq5'), includeRoot: INCLUDE_ROOT });
    expect(r.binary).toBeTruthy();
  });
});
