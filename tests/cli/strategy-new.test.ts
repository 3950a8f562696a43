/**
 * `strategy new` and `validate` as a trader meets them: the timeframes and symbols `strategy new` takes are the
 * strategy format's and the simulator's (one list each, said in the error), and the starter it writes validates
 * without a warning, its notes in the format's comment key.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newStrategyCommand } from '../../src/cli/strategy-new.js';
import { validateCommand } from '../../src/cli/strategy.js';
import { TIMEFRAME_INPUTS } from '../../src/engine/strategy/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'mt5x-strategy-new-'));
const run = (file: string, o: { symbol?: string; timeframe?: string }) => {
  let out = '', err = '';
  const code = newStrategyCommand(file, { symbol: o.symbol, timeframe: o.timeframe, force: true }, (t) => (out += t), (t) => (err += t));
  return { code, out, err };
};
const validate = (file: string) => {
  let out = '', err = '';
  const code = validateCommand(file, (t) => (out += t), (t) => (err += t));
  return { code, out, err };
};

describe('strategy new', () => {
  it('takes exactly the timeframes the strategy format takes, and says that list when refused', () => {
    for (const tf of TIMEFRAME_INPUTS) {
      const f = join(dir, `tf-${tf}.json`);
      expect(run(f, { timeframe: tf }).code, tf).toBe(0);
      expect(validate(f).code, tf).toBe(0);
    }
    // an alias is written as the format's own name
    expect(JSON.parse(readFileSync(join(dir, 'tf-1h.json'), 'utf8')).timeframe).toBe('H1');
    const list = TIMEFRAME_INPUTS.join(', ');
    for (const tf of ['W1', 'MN1', 'M7']) {
      const r = run(join(dir, 'x.json'), { timeframe: tf });
      expect(r.code).toBe(2);
      expect(r.err).toBe(`mt5-executor strategy new: --timeframe "${tf}" is not accepted: use one of ${list}\nRun 'mt5-executor strategy new --help' for its options and an example.\n`);
    }
    expect(run(join(dir, 'x.json'), { timeframe: 'h4' }).err).toContain("— did you mean 'H4'?");
    // the built CLI: a usage error in plain words (exit 2), never zod's
    const w1 = spawnSync(process.execPath, ['dist/mt5-executor.js', 'strategy', 'new', join(dir, 'w1.json'), '--timeframe', 'W1'], { encoding: 'utf8', timeout: 60_000 });
    expect(w1.status).toBe(2);
    expect(w1.stderr).not.toMatch(/Invalid option|expected one of/);
    expect(w1.stderr).toContain(`use one of ${list}`);
  });

  it('writes a starter that validates without a warning, its notes in the comment key', () => {
    const f = join(dir, 'starter.json');
    expect(run(f, {}).code).toBe(0);
    const s = JSON.parse(readFileSync(f, 'utf8'));
    expect(s['//'].length).toBeGreaterThan(3);
    const v = validate(f);
    expect(v.code).toBe(0);
    expect(v.err).toBe('');
    // the comment key is the only one spared: any other unknown top-level field still warns
    writeFileSync(f, JSON.stringify({ ...s, note: 'x' }));
    expect(validate(f).err).toBe("warning: unknown top-level field 'note' kept as metadata\n");
  });
});

describe('strategy new: where it writes', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['dist/mt5-executor.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

  it('a folder that does not exist (or is a file) is named with what to do, exit 1, nothing written — not a raw ENOENT', () => {
    const f = join(dir, 'no-such-folder', 'my.json');
    const r = cli(['strategy', 'new', f]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mt5-executor strategy new: ${f}: the folder ${join(dir, 'no-such-folder')} does not exist; create it first, or give a file in an existing folder (nothing was written)\n`);
    expect(r.stdout).toBe('');
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false); // not made either
    writeFileSync(join(dir, 'plain'), 'x');
    const inFile = run(join(dir, 'plain', 'my.json'), {});
    expect(inFile.code).toBe(1);
    expect(inFile.err).toBe(`mt5-executor strategy new: ${join(dir, 'plain', 'my.json')}: ${join(dir, 'plain')} is a file, not a folder; give a file in an existing folder (nothing was written)\n`);
    // a folder's name (a separator at the end) that does not exist: not "is a directory"
    const slash = run(join(dir, 'new-folder') + '/', {});
    expect(slash.code).toBe(1);
    expect(slash.err).toBe(`mt5-executor strategy new: ${join(dir, 'new-folder')}/ names a folder (it ends with a separator); give a file name, e.g. ${join(dir, 'new-folder')}/my-strategy.json\n`);
  });

  it.skipIf(!existsSync('/dev/full'))('a file that cannot be written is one line naming it, exit 1 (needs /dev/full: Linux)', () => {
    const r = run('/dev/full', {});
    expect(r.code).toBe(1);
    expect(r.err).toBe('mt5-executor strategy new: /dev/full: cannot write it: the disk is full\n');
    expect(r.out).toBe('');
  });

  it('a second file is a usage error naming it (exit 2), and neither is written', () => {
    const [a, b] = [join(dir, 'one.json'), join(dir, 'two.json')];
    const r = cli(['strategy', 'new', a, b]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`mt5-executor: strategy new takes one file to write; extra argument: '${b}' (run it once for each file)\nRun 'mt5-executor strategy new --help' for its options and an example.\n`);
    expect(existsSync(a) || existsSync(b)).toBe(false);
  });
});

describe('validate: a file that is not a strategy says what it looks like and what validate expects', () => {
  const FORMAT = 'a strategy is a JSON file (docs/strategy-format.md)';

  it('a bar file (MT5 export, plain CSV), an HTML report, a UTF-16 file: the JSON error as it was, then what the file looks like', () => {
    const r = spawnSync(process.execPath, ['dist/mt5-executor.js', 'validate', 'data/EURUSD_H1_2015-2022.csv'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`mt5-executor validate: data/EURUSD_H1_2015-2022.csv:1:1: not valid JSON: Unexpected token '<' (at '<') — data/EURUSD_H1_2015-2022.csv looks like a bar file (CSV), not a strategy: ${FORMAT}; bar files go after --data in backtest and paper\n`);
    const csv = join(dir, 'bars.dat');
    writeFileSync(csv, 'Date,Open,High,Low,Close\n2024-01-02 00:00,1.1,1.2,1.0,1.15\n');
    expect(validate(csv).err).toBe(`mt5-executor validate: ${csv}:1:1: not valid JSON: Unexpected token 'D' (at 'D') — ${csv} looks like a bar file (CSV), not a strategy: ${FORMAT}; bar files go after --data in backtest and paper\n`);
    const html = join(dir, 'report.html');
    writeFileSync(html, '<!DOCTYPE html>\n<html><body>Strategy Tester Report</body></html>\n');
    const h = validate(html);
    expect(h.code).toBe(1);
    expect(h.err).toBe(`mt5-executor validate: ${html}:1:1: not valid JSON: Unexpected token '<' (at '<') — ${html} looks like an HTML page (a report?), not a strategy: ${FORMAT}\n`);
    const u16 = join(dir, 'ReportTester.htm');
    writeFileSync(u16, Buffer.from('\uFEFF<html><body>x</body></html>', 'utf16le'));
    expect(validate(u16).err).toContain(`— ${u16} is not UTF-8 text (a binary file, or UTF-16 as MT5 saves its reports), not a strategy: ${FORMAT}\n`);
  });

  it('an empty file and a directory say so and where the format is; a broken JSON file keeps its line and column alone', () => {
    for (const text of ['', '  \n\n']) {
      const f = join(dir, 'empty.json');
      writeFileSync(f, text);
      const r = validate(f);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`mt5-executor validate: ${f}: the file is empty; a strategy is a JSON object (docs/strategy-format.md): \`mt5-executor strategy new <file>\` writes a starter\n`);
    }
    expect(validate(dir).err).toBe(`mt5-executor validate: ${dir}: is a directory; give a JSON file in it (the strategy format: docs/strategy-format.md)\n`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "strategyId": "x",,\n}\n');
    expect(validate(broken).err).toBe(`mt5-executor validate: ${broken}:2:21: not valid JSON: Expected double-quoted property name (at ',')\n`);
  });
});
