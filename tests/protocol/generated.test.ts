import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MsgType, schemas, type MsgTypeName } from '../../src/protocol/messages.js';
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
