/**
 * The lint: rejects what the harness cannot translate or judge honestly, before g++ sees it. Each finding
 * names the .mq5/.mqh file and line. See docs/ea.md "Subset rules".
 */
import { BUILTIN_TYPES, RUNTIME_STRUCTS, collectTypes, isTypeName, type Program, type SourceError } from './translate.js';

const FORBIDDEN_WORDS: Record<string, string> = {
  auto: '`auto` is C++, not MQL5',
  nullptr: '`nullptr` is C++: MQL5 writes NULL',
  unsigned: '`unsigned` is C++: use uchar/ushort/uint/ulong',
  signed: '`signed` is C++: MQL5 integer types are signed by default',
  std: 'the C++ standard library does not exist in MQL5',
  template: 'templates are outside the harness subset',
  typename: 'templates are outside the harness subset',
  new: 'dynamic objects (`new`) are outside the harness subset: use automatic objects',
  delete: 'dynamic objects (`delete`) are outside the harness subset: use automatic objects',
  namespace: 'namespaces are outside the harness subset',
  using: '`using` is C++',
  constexpr: '`constexpr` is C++',
  nullptr_t: 'C++ type',
};

export function lint(prog: Program): SourceError[] {
  const errs: SourceError[] = [];
  const toks = prog.tokens;
  const types = new Set(collectTypes(toks).map((d) => d.name));
  const structTypes = new Set([...RUNTIME_STRUCTS, ...collectTypes(toks).filter((d) => d.kind !== 'enum').map((d) => d.name)]);
  const err = (i: number, message: string): void => {
    const t = toks[i]!;
    errs.push({ file: t.file, line: t.line, message });
  };
  let paren = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const prev = toks[i - 1];
    const next = toks[i + 1];
    if (t.kind === 'punct') {
      if (t.text === '(') paren++;
      if (t.text === ')') paren--;
      if (t.text === '->') err(i, '`->` is C++: MQL5 uses `.` on objects and pointers');
      if (t.text === '::' && prev?.text === 'std') err(i, 'the C++ standard library does not exist in MQL5');
      if (t.text === '{' && prev?.text === '=') err(i, 'brace initialisers are outside the harness subset: assign members one by one');
      if (t.text === '[' && next && (next.text === ']' || next.text === '&' || next.text === '=') && prev && ['(', '=', ',', 'return'].includes(prev.text)) {
        err(i, 'lambdas are C++, not MQL5');
      }
      continue;
    }
    if (t.kind !== 'id') continue;
    const why = FORBIDDEN_WORDS[t.text];
    if (why) {
      err(i, why);
      continue;
    }
    if (/^u?int(8|16|32|64)_t$|^size_t$/.test(t.text)) {
      err(i, `${t.text} is a C type: use char/short/int/long and their u- forms`);
      continue;
    }
    if (!isTypeName(t.text, types) || !next) continue;
    const declContext = !prev || ['(', ',', ';', '{', '}', 'const', 'static', ')'].includes(prev.text) || prev.kind === 'pp';
    // pointers to scalars or structs; the harness supports no pointers at all
    if (next.text === '*' && toks[i + 2]?.kind === 'id' && declContext) {
      err(i, BUILTIN_TYPES.has(t.text) || !structTypes.has(t.text) ? `pointer to ${t.text}: MQL5 has pointers to class objects only` : `pointer to ${t.text}: pointers are outside the harness subset; use automatic objects`);
      continue;
    }
    // local reference variables: T &x = …; (parameters are inside parentheses)
    if (next.text === '&' && toks[i + 2]?.kind === 'id' && paren === 0 && declContext && ['=', ';'].includes(toks[i + 3]?.text ?? '')) {
      err(i, `reference variable ${toks[i + 2]!.text}: MQL5 has references only as parameters`);
      continue;
    }
    // T x{…}
    if (next.kind === 'id' && toks[i + 2]?.text === '{' && declContext && !['class', 'struct', 'union', 'enum'].includes(prev?.text ?? '')) {
      err(i, `brace initialiser for ${next.text}: outside the harness subset`);
      continue;
    }
    // objects by value in parameters
    if (paren > 0 && structTypes.has(t.text) && next.kind === 'id' && toks[i + 2]?.text !== '(' && prev && ['(', ',', 'const'].includes(prev.text)) {
      err(i, `parameter ${next.text} of type ${t.text} passed by value: MQL5 passes objects and structures by reference (${t.text} &${next.text})`);
      continue;
    }
  }
  // multiple inheritance: class X : public A, public B
  for (let i = 0; i + 2 < toks.length; i++) {
    if (!['class', 'struct'].includes(toks[i]!.text) || toks[i + 2]!.text !== ':') continue;
    let k = i + 3;
    let bases = 1;
    while (k < toks.length && toks[k]!.text !== '{' && toks[k]!.text !== ';') {
      if (toks[k]!.text === ',') bases++;
      k++;
    }
    if (bases > 1) err(i, `${toks[i + 1]!.text}: multiple inheritance is not MQL5`);
  }
  return errs;
}
