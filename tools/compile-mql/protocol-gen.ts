/**
 * Renders, from src/protocol (the single source of truth):
 *  - mql5/Include/ExecutorBridge/Protocol.mqh: version, limits, message type ids, field keys, tuple
 *    positions, the intent-comment prefix, ERROR codes, timeframe names and their MQL5 periods, the swap modes'
 *    codes, result classes and the retcode → class table for the EA;
 *  - the message reference section of docs/protocol.md (between the GENERATED markers).
 * tests/protocol/generated.test.ts fails when either committed file differs from what this renders.
 */
import type * as z from 'zod';
import {
  BAR_FIELDS,
  DIRECTION,
  MAX_FRAME_BYTES,
  MAX_HISTORY_BARS,
  MAX_INTENT_ID_LENGTH,
  MIN_PROTOCOL_VERSION,
  MsgType,
  PROTOCOL_VERSION,
  TICK_FIELDS,
  TIMEFRAMES,
  accountSchema,
  barTuple,
  dealSchema,
  orderSchema,
  positionSchema,
  schemas,
  symbolSpecSchema,
  tickTuple,
  type MsgTypeName,
} from '../../src/protocol/messages.js';
import { RESULT_CLASSES, RETCODES } from '../../src/protocol/retcodes.js';
import { INTENT_COMMENT_PREFIX } from '../../src/protocol/contract.js';
import { ERROR_CODES } from '../../src/protocol/errors.js';
import { SYMBOL_SWAP_MODE } from '../../src/protocol/mt5.js';

export const MQH_PATH = 'mql5/Include/ExecutorBridge/Protocol.mqh';
export const DOC_PATH = 'docs/protocol.md';
export const DOC_BEGIN = '<!-- BEGIN GENERATED: npm run gen:protocol -->';
export const DOC_END = '<!-- END GENERATED -->';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySchema = any;

const NAMED: [string, AnySchema][] = [
  ['Account', accountSchema()],
  ['Position', positionSchema()],
  ['Order', orderSchema()],
  ['Deal', dealSchema()],
  ['SymbolSpec', symbolSpecSchema()],
  ['Tick', tickTuple()],
  ['Bar', barTuple()],
];
const nameOf = (s: AnySchema) => NAMED.find(([, x]) => x === s)?.[0];

function def(s: AnySchema): AnySchema {
  return s._zod.def;
}

function isOptional(s: AnySchema): boolean {
  return def(s).type === 'optional';
}

function unwrap(s: AnySchema): AnySchema {
  return isOptional(s) ? def(s).innerType : s;
}

/** A short, exact type label for the documentation. */
export function typeLabel(s0: AnySchema): string {
  const s = unwrap(s0);
  const named = nameOf(s);
  if (named) return named === 'Tick' || named === 'Bar' ? `[${named}](#${named.toLowerCase()}-tuple)` : `[${named}](#${named.toLowerCase()})`;
  const d = def(s);
  switch (d.type) {
    case 'number':
      return s.isInt ? 'int' : 'float64';
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'pipe':
      return 'uint64';
    case 'enum':
      return Object.values(d.entries as Record<string, string>).map((v) => `"${v}"`).join(' \\| ');
    case 'array':
      return `array of ${typeLabel(d.element)}`;
    case 'tuple':
      return `[${(d.items as AnySchema[]).map(typeLabel).join(', ')}]`;
    case 'object':
      return 'map';
    default:
      return d.type;
  }
}

/** Every field key used anywhere in the protocol, sorted. */
export function allKeys(): string[] {
  const keys = new Set<string>();
  const walk = (s0: AnySchema) => {
    const s = unwrap(s0);
    const d = def(s);
    if (d.type === 'object') {
      for (const [k, v] of Object.entries(d.shape as Record<string, AnySchema>)) {
        keys.add(k);
        walk(v);
      }
    } else if (d.type === 'array') walk(d.element);
    else if (d.type === 'tuple') (d.items as AnySchema[]).forEach(walk);
  };
  Object.values(schemas).forEach(walk);
  return [...keys].sort();
}

const snake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

export function renderMqh(): string {
  const L: string[] = [];
  L.push('//+------------------------------------------------------------------+');
  L.push('//| Protocol.mqh - the bridge contract between the EA and the host   |');
  L.push('//| GENERATED from src/protocol by tools/compile-mql/gen-protocol.ts. |');
  L.push('//| Do not edit: run `npm run gen:protocol`.                          |');
  L.push('//+------------------------------------------------------------------+');
  L.push('#ifndef EXECUTOR_BRIDGE_PROTOCOL_MQH');
  L.push('#define EXECUTOR_BRIDGE_PROTOCOL_MQH');
  L.push('');
  L.push(`#define EB_PROTOCOL_VERSION ${PROTOCOL_VERSION}`);
  L.push(`#define EB_MIN_PROTOCOL_VERSION ${MIN_PROTOCOL_VERSION}`);
  L.push(`#define EB_MAX_FRAME_BYTES ${MAX_FRAME_BYTES}`);
  L.push(`#define EB_MAX_HISTORY_BARS ${MAX_HISTORY_BARS}`);
  L.push(`#define EB_MAX_INTENT_ID_LENGTH ${MAX_INTENT_ID_LENGTH}`);
  L.push(`#define EB_INTENT_COMMENT_PREFIX "${INTENT_COMMENT_PREFIX}"`);
  L.push('');
  L.push('// message type ids (field "type")');
  for (const [name, id] of Object.entries(MsgType)) L.push(`#define EB_MSG_${name} ${id}`);
  L.push('');
  L.push('// field keys');
  for (const k of allKeys()) L.push(`#define EB_K_${snake(k)} "${k}"`);
  L.push('');
  L.push('// positions in a tick tuple and a bar tuple');
  TICK_FIELDS.forEach((f, i) => L.push(`#define EB_TICK_${snake(f)} ${i}`));
  L.push(`#define EB_TICK_FIELDS ${TICK_FIELDS.length}`);
  BAR_FIELDS.forEach((f, i) => L.push(`#define EB_BAR_${snake(f)} ${i}`));
  L.push(`#define EB_BAR_FIELDS ${BAR_FIELDS.length}`);
  L.push('');
  L.push('// result classes (field "class" of INTENT_RESULT)');
  for (const c of RESULT_CLASSES) L.push(`#define EB_CLASS_${c.toUpperCase()} "${c}"`);
  L.push('');
  L.push('// REJECT codes');
  for (const c of Object.values(def(schemas.REJECT.shape.code).entries as Record<string, string>)) L.push(`#define EB_REJECT_${c} "${c}"`);
  L.push('');
  L.push('// ERROR codes (field "code" of ERROR)');
  for (const c of Object.values(ERROR_CODES)) L.push(`#define EB_ERR_${c} "${c}"`);
  L.push('');
  L.push(`#define EB_TIMEFRAME_COUNT ${TIMEFRAMES.length}`);
  L.push('// timeframe names on the wire, index 0..EB_TIMEFRAME_COUNT-1');
  L.push('string EB_TimeframeName(const int index)');
  L.push('  {');
  L.push('   switch(index)');
  L.push('     {');
  TIMEFRAMES.forEach((t, i) => L.push(`      case ${i}: return "${t}";`));
  L.push('     }');
  L.push('   return "";');
  L.push('  }');
  L.push('');
  L.push('// the MQL5 period of timeframe `index`; PERIOD_CURRENT for none');
  L.push('ENUM_TIMEFRAMES EB_TimeframeEnum(const int index)');
  L.push('  {');
  L.push('   switch(index)');
  L.push('     {');
  TIMEFRAMES.forEach((t, i) => L.push(`      case ${i}: return PERIOD_${t};`));
  L.push('     }');
  L.push('   return PERIOD_CURRENT;');
  L.push('  }');
  L.push('');
  L.push('// the index of a timeframe name on the wire; -1 for none');
  L.push('int EB_TimeframeIndex(const string name)');
  L.push('  {');
  L.push('   for(int i = 0; i < EB_TIMEFRAME_COUNT; i++)');
  L.push('      if(EB_TimeframeName(i) == name)');
  L.push('         return i;');
  L.push('   return -1;');
  L.push('  }');
  L.push('');
  L.push('// the protocol\'s code of an ENUM_SYMBOL_SWAP_MODE (SPEC field swapMode), matched by the MQL5 identifier, so');
  L.push('// the host does not depend on MT5\'s numbers for the enum; a mode not listed goes as MT5\'s own number');
  L.push('long EB_SwapModeCode(const long mode)');
  L.push('  {');
  for (const [name, code] of Object.entries(SYMBOL_SWAP_MODE)) L.push(`   if(mode == (long)SYMBOL_SWAP_MODE_${name}) return ${code};`);
  L.push('   return mode;');
  L.push('  }');
  L.push('');
  L.push('// how the host treats a trade server return code; unknown codes are ambiguous');
  L.push('string EB_RetcodeClass(const uint retcode)');
  L.push('  {');
  L.push('   switch(retcode)');
  L.push('     {');
  const byClass = new Map<string, number[]>();
  for (const [code, info] of Object.entries(RETCODES)) {
    const list = byClass.get(info.cls) ?? [];
    list.push(Number(code));
    byClass.set(info.cls, list);
  }
  for (const c of RESULT_CLASSES) {
    const codes = byClass.get(c);
    if (!codes) continue;
    for (const code of codes) L.push(`      case ${code}:`);
    L.push(`         return EB_CLASS_${c.toUpperCase()};`);
  }
  L.push('     }');
  L.push('   return EB_CLASS_AMBIGUOUS;');
  L.push('  }');
  L.push('');
  L.push('#endif');
  return L.join('\n') + '\n';
}

function fieldRows(obj: AnySchema, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [k, v0] of Object.entries(def(obj).shape as Record<string, AnySchema>)) {
    if (!prefix && (k === 'type' || k === 'seq')) continue;
    const v = unwrap(v0);
    const desc = (v0.description ?? v.description ?? '').replace(/\|/g, '\\|');
    const opt = isOptional(v0) ? ' (optional)' : '';
    const key = `${prefix}${k}`;
    if (def(v).type === 'object' && !nameOf(v)) {
      rows.push(`| \`${key}\` | map${opt} | ${desc} |`);
      rows.push(...fieldRows(v, `${key}.`));
    } else if (def(v).type === 'array' && def(def(v).element).type === 'object' && !nameOf(def(v).element)) {
      rows.push(`| \`${key}\` | array of map${opt} | ${desc} |`);
      rows.push(...fieldRows(def(v).element, `${key}[].`));
    } else {
      rows.push(`| \`${key}\` | ${typeLabel(v)}${opt} | ${desc} |`);
    }
  }
  return rows;
}

export function renderDocSection(): string {
  const L: string[] = [DOC_BEGIN, ''];
  L.push(`Protocol version **${PROTOCOL_VERSION}** (host accepts ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}); maximum frame ${MAX_FRAME_BYTES} bytes. Every message also carries \`type\` (int, the id below) and \`seq\` (int ≥ 1).`);
  L.push('');
  L.push('### Messages');
  L.push('');
  for (const [name, id] of Object.entries(MsgType) as [MsgTypeName, number][]) {
    L.push(`#### ${name} (${id}, ${DIRECTION[name]})`);
    L.push('');
    L.push('| field | type | meaning |');
    L.push('|---|---|---|');
    L.push(...fieldRows(schemas[name]));
    L.push('');
  }
  L.push('### Records');
  L.push('');
  for (const [name, s] of NAMED) {
    if (name === 'Tick' || name === 'Bar') continue;
    L.push(`#### ${name}`);
    L.push('');
    L.push('| field | type | meaning |');
    L.push('|---|---|---|');
    L.push(...fieldRows(s, ''));
    L.push('');
  }
  for (const [name, s, fields] of [['Tick', tickTuple(), TICK_FIELDS], ['Bar', barTuple(), BAR_FIELDS]] as const) {
    L.push(`#### ${name} tuple`);
    L.push('');
    L.push('| index | field | type | meaning |');
    L.push('|---|---|---|---|');
    (def(s).items as AnySchema[]).forEach((it, i) => L.push(`| ${i} | \`${fields[i]}\` | ${typeLabel(it)} | ${it.description ?? ''} |`));
    L.push('');
  }
  L.push('### Retcodes and result classes');
  L.push('');
  L.push('| retcode | name | class |');
  L.push('|---|---|---|');
  for (const [code, info] of Object.entries(RETCODES)) L.push(`| ${code} | ${info.name} | ${info.cls} |`);
  L.push('| any other | | ambiguous |');
  L.push('');
  L.push(DOC_END);
  return L.join('\n');
}

/** Replace the generated region of docs/protocol.md. */
export function renderDoc(current: string): string {
  const a = current.indexOf(DOC_BEGIN);
  const b = current.indexOf(DOC_END);
  if (a < 0 || b < a) throw new Error(`${DOC_PATH} must contain the markers ${DOC_BEGIN} and ${DOC_END}`);
  return current.slice(0, a) + renderDocSection() + current.slice(b + DOC_END.length);
}

export type { z };
