/**
 * MQL5 → C++ source translation for the mql-test-harness. Token based; keeps `#line` so every compiler
 * error points at the .mq5/.mqh line. Handles the MQL5-only constructs the project's subset uses (see
 * docs/ea.md "Subset rules"); the lint (lint.ts) rejects what this cannot translate or judge honestly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Token {
  kind: 'id' | 'num' | 'str' | 'chr' | 'punct' | 'pp' | 'lit';
  text: string;
  line: number;
  file: string;
}

export interface SourceError {
  file: string;
  line: number;
  message: string;
}

const PUNCT = [
  '<<=', '>>=', '...', '::', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=',
];

/** Read a source file: UTF-8, or UTF-16LE with a BOM as MetaEditor saves by default. */
export function readSource(file: string): string {
  const buf = readFileSync(file);
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  const text = buf.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** MQL5 D'yyyy.mm.dd [hh:mi[:ss]]' → seconds since 1970. */
function datetimeLiteral(body: string): number | null {
  const m = /^\s*(\d{4})\.(\d{1,2})\.(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(body);
  if (!m) return null;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)) / 1000;
}

/** MQL5 C'r,g,b' → color (0x00BBGGRR). */
function colorLiteral(body: string): number | null {
  const m = /^\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*$/.exec(body);
  if (!m) return null;
  return +m[1]! | (+m[2]! << 8) | (+m[3]! << 16);
}

export function tokenize(src: string, file: string, errors: SourceError[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let atLineStart = true;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      atLineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '#' && atLineStart) {
      // a whole preprocessor line, with continuations; comments at its end are dropped
      const startLine = line;
      let text = '';
      while (i < n && src[i] !== '\n') {
        if (src[i] === '\\' && src[i + 1] === '\n') {
          text += ' ';
          i += 2;
          line++;
          continue;
        }
        if (src[i] === '/' && src[i + 1] === '/') {
          while (i < n && src[i] !== '\n') i++;
          break;
        }
        text += src[i];
        i++;
      }
      out.push({ kind: 'pp', text: text.trim(), line: startLine, file });
      continue;
    }
    atLineStart = false;
    if ((c === 'D' || c === 'C') && src[i + 1] === "'") {
      const end = src.indexOf("'", i + 2);
      const body = src.slice(i + 2, end);
      const v = c === 'D' ? datetimeLiteral(body) : colorLiteral(body);
      if (v === null) errors.push({ file, line, message: `invalid ${c}'…' literal: ${c}'${body}'` });
      out.push({ kind: 'num', text: `${v ?? 0}L`, line, file });
      i = end + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < n && src[k] !== c) {
        if (src[k] === '\\') k++;
        if (src[k] === '\n') break;
        k++;
      }
      if (src[k] !== c) errors.push({ file, line, message: 'unterminated string or character literal' });
      out.push({ kind: c === '"' ? 'str' : 'chr', text: src.slice(i, k + 1), line, file });
      i = k + 1;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[uUlLfF]*/.exec(src.slice(i, i + 64))!;
      out.push({ kind: 'num', text: m[0], line, file });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256))!;
      out.push({ kind: 'id', text: m[0], line, file });
      i += m[0].length;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i)) ?? c;
    out.push({ kind: 'punct', text: p, line, file });
    i += p.length;
  }
  return out;
}

export const BUILTIN_TYPES = new Set([
  'void', 'bool', 'char', 'uchar', 'short', 'ushort', 'int', 'uint', 'long', 'ulong', 'float', 'double', 'string',
  'datetime', 'color',
]);
export const RUNTIME_STRUCTS = new Set(['MqlTick', 'MqlRates', 'MqlTradeRequest', 'MqlTradeResult', 'MqlTradeTransaction', 'MqlDateTime']);
const EVENT_HANDLERS = ['OnInit', 'OnDeinit', 'OnTick', 'OnTimer', 'OnTrade', 'OnTradeTransaction', 'OnStart', 'OnBookEvent'] as const;

export interface Program {
  /** all tokens of all files, includes inlined, in order (pp tokens for #include removed) */
  tokens: Token[];
  files: string[];
  errors: SourceError[];
}

/** Read the entry file and every file it includes (each once: include guards hold anyway). */
export function load(entry: string, includeRoot: string): Program {
  const errors: SourceError[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string): Token[] => {
    const abs = path.resolve(file);
    if (seen.has(abs)) return [];
    seen.add(abs);
    files.push(abs);
    const toks = tokenize(readSource(abs), abs, errors);
    const out: Token[] = [];
    for (const t of toks) {
      if (t.kind === 'pp') {
        const inc = /^#\s*include\s*([<"])([^>"]+)[>"]/.exec(t.text);
        if (inc) {
          const target = inc[1] === '<' ? path.join(includeRoot, inc[2]!) : path.join(path.dirname(abs), inc[2]!);
          if (!target.endsWith('.mqh')) {
            errors.push({ file: abs, line: t.line, message: `#include of ${inc[2]}: only .mqh files can be included` });
            continue;
          }
          try {
            out.push(...visit(target));
          } catch {
            errors.push({ file: abs, line: t.line, message: `cannot open include file ${inc[2]} (looked at ${target})` });
          }
          continue;
        }
        if (/^#\s*(import|resource)\b/.test(t.text)) {
          errors.push({ file: abs, line: t.line, message: `${t.text.split(/\s/)[0]} is not allowed (no DLLs or resources in the bridge EA)` });
          continue;
        }
        if (/^#\s*property\b/.test(t.text)) continue;
      }
      out.push(t);
    }
    return out;
  };
  const tokens = visit(entry);
  return { tokens, files, errors };
}

function u16literal(s: string): string {
  // "…" → string(u"…"): a string object, so `"a" + x` concatenates as in MQL5 instead of doing pointer arithmetic
  return `string(u${s})`;
}

interface Decl {
  kind: 'class' | 'struct' | 'union' | 'enum';
  name: string;
}

/** Names of every class/struct/union/enum declared in the program. */
export function collectTypes(tokens: Token[]): Decl[] {
  const out: Decl[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'id' && (t.text === 'class' || t.text === 'struct' || t.text === 'union' || t.text === 'enum')) {
      const name = tokens[i + 1]!;
      if (name.kind === 'id') out.push({ kind: t.text, name: name.text });
    }
  }
  return out;
}

export function isTypeName(text: string, types: ReadonlySet<string>): boolean {
  return BUILTIN_TYPES.has(text) || RUNTIME_STRUCTS.has(text) || types.has(text) || /^ENUM_[A-Z0-9_]+$/.test(text);
}

export interface Translation {
  cpp: string;
  errors: SourceError[];
  handlers: string[];
}

/** Translate the program to one C++ translation unit. */
export function translate(prog: Program): Translation {
  const errors = [...prog.errors];
  const decls = collectTypes(prog.tokens);
  const types = new Set(decls.map((d) => d.name));
  const toks = prog.tokens.map((t) => ({ ...t }));
  const drop = new Set<number>();
  const before = new Map<number, string>(); // text to emit before token i
  const after = new Map<number, string>(); // text to emit after token i
  const replace = new Map<number, string>();
  const prototypes: string[] = [];
  const handlers = new Set<string>();

  const text = (i: number): string => toks[i]?.text ?? '';
  const matchClose = (i: number, open: string, close: string): number => {
    let d = 0;
    for (let k = i; k < toks.length; k++) {
      if (toks[k]!.kind !== 'punct') continue;
      if (toks[k]!.text === open) d++;
      else if (toks[k]!.text === close && --d === 0) return k;
    }
    return toks.length - 1;
  };

  // ---- pass 1: literals, enums, inputs, arrays
  let depth = 0;
  let parenDepth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind === 'str') {
      replace.set(i, u16literal(t.text));
      continue;
    }
    if (t.kind === 'pp') {
      // #define bodies: wrap string literals too
      replace.set(i, t.text.replace(/"(?:[^"\\]|\\.)*"/g, (s) => (/^#\s*include/.test(t.text) ? s : u16literal(s))));
      continue;
    }
    if (t.kind === 'punct') {
      if (t.text === '{') depth++;
      else if (t.text === '}') depth--;
      else if (t.text === '(') parenDepth++;
      else if (t.text === ')') parenDepth--;
      continue;
    }
    if (t.kind !== 'id') continue;

    if (t.text === 'enum' && toks[i + 1]?.kind === 'id' && text(i + 2) === '{') {
      const name = text(i + 1);
      after.set(i + 1, ' : int');
      const close = matchClose(i + 2, '{', '}');
      const names: string[] = [];
      let expectName = true;
      let d = 0;
      for (let k = i + 3; k < close; k++) {
        const x = toks[k]!;
        if (x.text === '(' ) d++;
        if (x.text === ')') d--;
        if (expectName && x.kind === 'id') {
          names.push(x.text);
          expectName = false;
        } else if (x.text === ',' && d === 0) expectName = true;
      }
      const semi = text(close + 1) === ';' ? close + 1 : close;
      const body = names.map((nm) => `if(v == ${nm}) return string(u"${nm}");`).join(' ');
      after.set(semi, `${after.get(semi) ?? ''} inline string EnumToString(${name} v) { ${body} return string(u"${name}::") + string((int)v); }`);
      continue;
    }

    if ((t.text === 'input' || t.text === 'sinput') && depth === 0) {
      if (text(i + 1) === 'group') {
        // `input group "Name"` (no semicolon in MQL5)
        drop.add(i);
        drop.add(i + 1);
        drop.add(i + 2);
        if (text(i + 3) === ';') drop.add(i + 3);
        i += 2;
        continue;
      }
      // input TYPE NAME [= VALUE] ;
      let k = i + 1;
      const typeStart = k;
      while (k < toks.length && !(toks[k]!.kind === 'id' && (text(k + 1) === '=' || text(k + 1) === ';'))) k++;
      const typeText = toks.slice(typeStart, k).map((x) => x.text).join(' ');
      const name = text(k);
      // a read-only reference to storage the runtime reloads on a change of inputs (OnDeinit/OnInit, globals kept)
      replace.set(i, 'const');
      before.set(k, `${before.get(k) ?? ''}&`);
      if (text(k + 1) === '=') {
        before.set(k + 2, `mqlrt_input_ref<${typeText}>("${name}", `);
        let e = k + 2;
        while (e < toks.length && text(e) !== ';') e++;
        before.set(e, `)${before.get(e) ?? ''}`);
      } else {
        after.set(k, ` = mqlrt_input_ref<${typeText}>("${name}", ${typeText}())`);
      }
      continue;
    }

    // array declarations and parameters: TYPE [&] NAME [ N? ]
    if (text(i + 1) === '[' && i > 0) {
      let p = i - 1;
      const isRef = text(p) === '&';
      if (isRef) p--;
      const typeTok = toks[p];
      if (typeTok && typeTok.kind === 'id' && isTypeName(typeTok.text, types) && !['return', 'case'].includes(typeTok.text)) {
        const close = matchClose(i + 1, '[', ']');
        const size = toks.slice(i + 2, close).map((x) => replace.get(toks.indexOf(x)) ?? x.text);
        if (text(close + 1) === '[') {
          errors.push({ file: t.file, line: t.line, message: `multi-dimensional array ${t.text}: the harness supports one dimension only` });
        }
        replace.set(p, `mql_array<${typeTok.text}>`);
        for (let k = i + 1; k <= close; k++) drop.add(k);
        if (size.length > 0) {
          if (isRef || parenDepth > 0) {
            errors.push({ file: t.file, line: t.line, message: `array parameter ${t.text} with a size: write \`T &${t.text}[]\`` });
          } else {
            const sizeIdx: number[] = [];
            for (let k = i + 2; k < close; k++) sizeIdx.push(k);
            const sizeText = sizeIdx.map((k) => replace.get(k) ?? text(k)).join(' ');
            after.set(close, ` = mql_array<${typeTok.text}>(mql_fixed_tag(), ${sizeText})`);
          }
        }
        if (text(close + 1) === ',' && parenDepth === 0) {
          errors.push({ file: t.file, line: t.line, message: `array ${t.text} declared in a list: declare each array on its own` });
        }
        if (parenDepth > 0 && !isRef) {
          errors.push({ file: t.file, line: t.line, message: `array parameter ${t.text} passed by value: MQL5 passes arrays by reference (\`T &${t.text}[]\`)` });
        }
      }
    }
  }

  // ---- pass 2: global functions → prototypes (defaults kept there, removed from definitions)
  depth = 0;
  let declStart = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind === 'pp') {
      if (depth === 0) declStart = i + 1;
      continue;
    }
    if (t.text === '{') depth++;
    if (t.text === '}') {
      depth--;
      if (depth === 0) declStart = i + 1;
      continue;
    }
    if (t.text === ';' && depth === 0) {
      declStart = i + 1;
      continue;
    }
    if (depth !== 0 || t.text !== '(' || toks[i - 1]?.kind !== 'id' || i - 1 <= declStart) continue;
    const first = text(declStart);
    if (['class', 'struct', 'union', 'enum', 'typedef'].includes(first)) continue;
    const close = matchClose(i, '(', ')');
    let body = close + 1;
    if (text(body) === 'const') body++;
    if (text(body) !== '{') continue;
    const name = text(i - 1);
    if ((EVENT_HANDLERS as readonly string[]).includes(name)) handlers.add(name);
    // prototype: the declaration with its defaults
    const proto: string[] = [];
    for (let k = declStart; k <= close; k++) if (!drop.has(k)) proto.push(before.get(k) ?? '', replace.get(k) ?? text(k), after.get(k) ?? '');
    prototypes.push(`${proto.join(' ')};`);
    // strip defaults from the definition
    let d = 0;
    for (let k = i; k <= close; k++) {
      const x = text(k);
      if (x === '(' || x === '[') d++;
      if (x === ')' || x === ']') d--;
      if (x === '=' && d === 1) {
        let e = k;
        let dd = 0;
        while (e < close) {
          const y = text(e);
          if (y === '(') dd++;
          if (y === ')') dd--;
          if (y === ',' && dd === 0) break;
          e++;
        }
        for (let z = k; z < e; z++) {
          drop.add(z);
          after.delete(z);
          before.delete(z);
        }
        k = e - 1;
      }
    }
    i = close;
  }

  // ---- emit
  const lines: string[] = ['#include "mql5rt.h"'];
  for (const d of decls) lines.push(d.kind === 'enum' ? `enum ${d.name} : int;` : `${d.kind} ${d.name};`);
  lines.push(...prototypes.map((p) => p.replace(/\s+/g, ' ')));
  let curFile = '';
  let curLine = 0;
  let buf = '';
  let started = false;
  const newline = (): void => {
    lines.push(buf);
    buf = '';
    curLine++;
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (!started || t.file !== curFile || t.line < curLine || t.line > curLine + 8) {
      if (started) lines.push(buf);
      buf = '';
      lines.push(`#line ${t.line} "${t.file}"`);
      curFile = t.file;
      curLine = t.line;
      started = true;
    }
    while (curLine < t.line) newline();
    const b = before.get(i);
    if (b) buf += b;
    if (!drop.has(i)) {
      if (t.kind === 'pp') {
        // a preprocessor token is a whole line of its own
        if (buf.trim()) newline();
        buf = replace.get(i) ?? t.text;
        newline();
        continue;
      }
      buf += (buf && !buf.endsWith(' ') ? ' ' : '') + (replace.get(i) ?? t.text);
    }
    const a = after.get(i);
    if (a) buf += a;
  }
  lines.push(buf);
  const h = (n: string): string => (handlers.has(n) ? `&${n}` : 'nullptr');
  lines.push(
    '#line 1 "<harness main>"',
    'int main(int argc, char **argv) {',
    `  mqlrt_handlers h = { ${EVENT_HANDLERS.map(h).join(', ')} };`,
    '  return mqlrt_main(argc, argv, h);',
    '}',
  );
  return { cpp: `${lines.join('\n')}\n`, errors, handlers: [...handlers] };
}
