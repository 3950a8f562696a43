import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INTENT_COMMENT_PREFIX, TIMEFRAME_PERIOD, intentComment, parseIntentComment } from '../../src/protocol/contract.js';
import { ERROR_CODES } from '../../src/protocol/errors.js';
import { MsgType, TIMEFRAMES, schemas, type MsgTypeName } from '../../src/protocol/messages.js';
import { PERIOD } from '../../tools/mql-test-harness/src/terminal.js';
import { DOC_PATH, MQH_PATH, allKeys, renderDoc, renderMqh } from '../../tools/compile-mql/protocol-gen.js';

describe('generated protocol artefacts', () => {
  it('mql5/Include/ExecutorBridge/Protocol.mqh is current (run `npm run gen:protocol` if this fails)', () => {
    expect(readFileSync(MQH_PATH, 'utf8')).toBe(renderMqh());
  });

  it('docs/protocol.md reference section is current (run `npm run gen:protocol` if this fails)', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    expect(doc).toBe(renderDoc(doc));
  });

  it('the MQL5 include names every message type and every field key, and the doc documents every field', () => {
    const mqh = renderMqh();
    const doc = readFileSync(DOC_PATH, 'utf8');
    for (const [name, id] of Object.entries(MsgType)) {
      expect(mqh).toContain(`#define EB_MSG_${name} ${id}\n`);
      expect(doc).toContain(`#### ${name} (${id},`);
      const section = doc.slice(doc.indexOf(`#### ${name} (${id},`)).split('\n#### ')[0]!;
      for (const key of Object.keys(schemas[name as MsgTypeName].shape)) {
        if (key === 'type' || key === 'seq') continue;
        expect(section, `${name}.${key} documented`).toContain(`| \`${key}\` |`);
      }
    }
    for (const k of allKeys()) expect(mqh).toContain(`"${k}"`);
  });

  it('the generated MQL5 avoids constructs the harness lint rejects', () => {
    const mqh = renderMqh();
    expect(mqh).not.toMatch(/->|\bauto\b|nullptr|std::|=\s*\{/);
    expect(mqh.split('\n').every((l) => l.length < 200)).toBe(true);
  });
});

describe('the contract has one source: src/protocol (no hand-typed copy)', () => {
  const eaSources = () =>
    ['mql5/Experts/ExecutorBridge.mq5', ...readdirSync('mql5/Include/ExecutorBridge').map((f) => `mql5/Include/ExecutorBridge/${f}`)]
      .filter((f) => !f.endsWith('/Protocol.mqh'))
      .map((f) => [f, readFileSync(f, 'utf8')] as const);

  it('the EA spells no ERROR code, intent-comment prefix or timeframe table itself: it uses the generated names', () => {
    const mqh = renderMqh();
    for (const c of Object.values(ERROR_CODES)) expect(mqh).toContain(`#define EB_ERR_${c} "${c}"\n`);
    expect(mqh).toContain(`#define EB_INTENT_COMMENT_PREFIX "${INTENT_COMMENT_PREFIX}"\n`);
    TIMEFRAMES.forEach((t, i) => expect(mqh).toContain(`      case ${i}: return PERIOD_${t};\n`));
    for (const [file, text] of eaSources()) {
      for (const c of Object.values(ERROR_CODES)) expect(text, `${file} spells "${c}"`).not.toContain(`"${c}"`);
      expect(text, `${file} spells the comment prefix`).not.toContain(`"${INTENT_COMMENT_PREFIX}`);
      expect(text, `${file} defines a timeframe table`).not.toMatch(/EB_Timeframe(Enum|Index|Name)\s*\(const/);
    }
    expect(eaSources().some(([, t]) => t.includes('EB_ERR_NOT_FOUND'))).toBe(true);
  });

  it("the harness runtime's ENUM_TIMEFRAMES agrees with the protocol's periods, and its terminal has no table of its own", () => {
    const rt = readFileSync('tools/mql-test-harness/runtime/mql5rt.h', 'utf8');
    const block = /enum ENUM_TIMEFRAMES : int\s*\{([^}]*)\}/.exec(rt)?.[1] ?? '';
    const values = Object.fromEntries([...block.matchAll(/PERIOD_(\w+)\s*=\s*(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    for (const t of TIMEFRAMES) expect(values[t], `PERIOD_${t} in mql5rt.h`).toBe(TIMEFRAME_PERIOD[t]);
    const harness = readFileSync('tools/mql-test-harness/src/terminal.ts', 'utf8');
    expect(harness).not.toMatch(/16385|49153|10030/);
    expect(PERIOD).toBe(TIMEFRAME_PERIOD);
  });

  it('the simulator and the host take the comment contract from src/protocol', () => {
    expect(readFileSync('src/sim/ea-logic.ts', 'utf8')).not.toContain(`'${INTENT_COMMENT_PREFIX}'`);
    expect(intentComment('a-1')).toBe(`${INTENT_COMMENT_PREFIX}a-1`);
    expect(parseIntentComment(intentComment('a-1'))).toBe('a-1');
    expect(parseIntentComment('my own trade')).toBeUndefined();
    expect(parseIntentComment(`${INTENT_COMMENT_PREFIX}bad id!`)).toBeUndefined();
    for (const dir of ['src/host/bridge', 'src/host/execution']) {
      for (const f of readdirSync(dir)) expect(readFileSync(`${dir}/${f}`, 'utf8'), `${dir}/${f} imports the simulator`).not.toMatch(/from '\.\.\/\.\.\/sim\//);
    }
  });
});
