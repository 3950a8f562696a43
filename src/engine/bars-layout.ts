/**
 * Which column of a bar file holds what: from the header's names (any case, with or without `<>`, in any
 * order), or, for a file without a header (MT4 History Center, HistData), from the first line's shape; and the
 * plan of a file's bytes (separator, decimal commas, where its bars start, how many rows to make room for). Pure.
 */
import { text } from './bars-fields.js';

/** What a column holds. */
export enum Role {
  Skip = 0,
  Date = 1,
  Time = 2,
  /** Date and time in one field ("2019.02.15 14:00", "2019-02-15T14:00:00", "20190215 140000"), or a date alone. */
  DateTime = 3,
  /** Epoch seconds (or milliseconds), or a date-time text: decided by each value. */
  Stamp = 4,
  Open = 5,
  High = 6,
  Low = 7,
  Close = 8,
  TickVolume = 9,
  RealVolume = 10,
  Spread = 11,
}

export type BarLayout = 'mt5-export' | 'mt5-copy-rates' | 'mt4' | 'mt4-headerless' | 'datetime' | 'columns';

export interface ColumnPlan {
  layout: BarLayout;
  roles: Role[];
  /** Column names as the file writes them (canonical names for a file without a header), for messages. */
  names: string[];
  header: boolean;
  /** Header columns not used (e.g. an ask price beside the bid). */
  ignored: string[];
  /** The column naming the symbol (`<TICKER>`, `Symbol`), if any: read from the first bar. */
  symbolColumn?: number;
}

export const LAYOUT_HELP =
  'expected one of: MT5 "Export bars" (<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>, tabs or commas), ' +
  'MT5 copy_rates (time,open,high,low,close,tick_volume,spread,real_volume), MT4 (Date,Time,Open,High,Low,Close,Volume, with or without the header), ' +
  'or any header naming a time (Date and Time, or DateTime/Timestamp/Time) and Open, High, Low, Close, optionally Volume/TickVolume and Spread; ' +
  'separated by commas, tabs or semicolons (with decimal commas)';

const norm = (s: string) => s.trim().replace(/^["']|["']$/g, '').replace(/^<|>$/g, '').toLowerCase().replace(/[\s_\-.]/g, '');

const NAMES: Record<string, Role> = {};
const name = (role: Role, ...ns: string[]) => ns.forEach((n) => (NAMES[n] = role));
name(Role.Date, 'date', 'day', 'tradedate');
name(Role.Time, 'time', 'hour');
name(Role.DateTime, 'datetime', 'timestamp', 'gmttime', 'localtime', 'opentime', 'dt', 'datetimeutc', 'timeutc', 'bartime', 'ts');
name(Role.Open, 'open', 'o', 'openprice', 'openbid', 'bidopen', 'first');
name(Role.High, 'high', 'h', 'highprice', 'highbid', 'bidhigh', 'max');
name(Role.Low, 'low', 'l', 'lowprice', 'lowbid', 'bidlow', 'min');
name(Role.Close, 'close', 'c', 'adjclose', 'closeprice', 'closebid', 'bidclose', 'last');
name(Role.TickVolume, 'tickvol', 'tickvolume', 'ticks', 'tickcount', 'tickqty');
name(Role.RealVolume, 'realvol', 'realvolume');
name(Role.Spread, 'spread');
const VOLUME = new Set(['vol', 'volume', 'v', 'qty']);
const SYMBOL = new Set(['ticker', 'symbol', 'instrument', 'pair']);

/** A header line: its first field does not start with a digit (a bar's date or epoch time does). */
export function looksLikeHeader(first: string): boolean {
  return !/^\s*["']?\d/.test(first);
}

/** Plan the columns from header names; a string explains what is missing. */
export function planFromHeader(fields: string[]): ColumnPlan | string {
  const n = fields.map(norm);
  const roles: Role[] = n.map(() => Role.Skip);
  const taken = new Set<Role>();
  const hasTickVol = n.some((x) => NAMES[x] === Role.TickVolume);
  const hasDate = n.includes('date') || n.includes('day') || n.includes('tradedate');
  const hasTime = n.includes('time') || n.includes('hour');
  n.forEach((x, k) => {
    let r: Role | undefined = NAMES[x];
    if (r === undefined && VOLUME.has(x)) r = hasTickVol ? Role.RealVolume : Role.TickVolume;
    if (r === Role.Time && !hasDate) r = Role.Stamp; // copy_rates' "time": epoch seconds or a full date-time
    if (r === Role.Date && !hasTime) r = Role.DateTime; // a pandas "Date" column: "2019-02-15 14:00:00"
    if (r === undefined || taken.has(r)) return;
    taken.add(r);
    roles[k] = r;
  });
  // MT5's export labels its close column in some tools "Adj Close" or the like: a lone unnamed price column
  // between <LOW> and <TICKVOL> is the close, by position
  if (!taken.has(Role.Close)) {
    const lo = roles.indexOf(Role.Low);
    if (lo >= 0 && lo + 1 < roles.length && roles[lo + 1] === Role.Skip && n[lo + 1] !== '') {
      roles[lo + 1] = Role.Close;
      taken.add(Role.Close);
    }
  }
  const missing: string[] = [];
  const timeOk = (taken.has(Role.Date) && taken.has(Role.Time)) || taken.has(Role.DateTime) || taken.has(Role.Stamp);
  if (!timeOk) missing.push('a time (Date and Time, or one DateTime/Timestamp/Time column)');
  for (const [r, label] of [[Role.Open, 'Open'], [Role.High, 'High'], [Role.Low, 'Low'], [Role.Close, 'Close']] as const) if (!taken.has(r)) missing.push(label);
  if (missing.length) {
    const unknown = fields.filter((_, k) => roles[k] === Role.Skip && !SYMBOL.has(n[k]!)).map((f) => f.trim());
    return `no column for ${missing.join(', ')}${unknown.length ? `; not recognised: ${unknown.join(', ')}` : ''}`;
  }
  const raw = n;
  let layout: BarLayout = 'columns';
  if (fields[0]!.trim().startsWith('<') && raw[0] === 'date' && raw[1] === 'time') layout = 'mt5-export';
  else if (raw[0] === 'time' && roles[0] === Role.Stamp && raw.includes('tickvolume')) layout = 'mt5-copy-rates';
  else if (raw[0] === 'date' && raw[1] === 'time' && roles[0] === Role.Date) layout = 'mt4';
  else if (taken.has(Role.DateTime)) layout = 'datetime';
  const symbolColumn = n.findIndex((x) => SYMBOL.has(x));
  return {
    layout, roles, names: fields.map((f) => f.trim()), header: true,
    ignored: fields.filter((_, k) => roles[k] === Role.Skip && k !== symbolColumn).map((f) => f.trim()),
    ...(symbolColumn >= 0 ? { symbolColumn } : {}),
  };
}

const DATE_ONLY = /^\s*"?(\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4}|\d{8})"?\s*$/;
const TIME_ONLY = /^\s*"?\d{1,2}:?\d{2}(:?\d{2}(\.\d+)?)?"?\s*$/;
const DATE_TIME = /^\s*"?(\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4}|\d{8})[ T]\d{1,2}:?\d{2}/;
const EPOCH = /^\s*\d{9,13}\s*$/;

/** Plan the columns of a file without a header from the shape of its first line. */
export function planFromData(fields: string[]): ColumnPlan | string {
  const nf = fields.length;
  const P = [Role.Open, Role.High, Role.Low, Role.Close];
  let roles: Role[] | undefined;
  let names: string[] | undefined;
  let layout: BarLayout = 'mt4-headerless';
  if (DATE_ONLY.test(fields[0]!) && nf > 1 && TIME_ONLY.test(fields[1]!)) {
    const rest = nf - 2;
    if (rest === 5) [roles, names] = [[Role.Date, Role.Time, ...P, Role.TickVolume], ['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume']];
    else if (rest === 4) [roles, names] = [[Role.Date, Role.Time, ...P], ['Date', 'Time', 'Open', 'High', 'Low', 'Close']];
    else if (rest === 7) {
      [roles, names] = [[Role.Date, Role.Time, ...P, Role.TickVolume, Role.RealVolume, Role.Spread], ['<DATE>', '<TIME>', '<OPEN>', '<HIGH>', '<LOW>', '<CLOSE>', '<TICKVOL>', '<VOL>', '<SPREAD>']];
      layout = 'mt5-export';
    }
  } else if (DATE_TIME.test(fields[0]!)) {
    layout = 'datetime';
    const rest = nf - 1;
    if (rest === 5) [roles, names] = [[Role.DateTime, ...P, Role.TickVolume], ['DateTime', 'Open', 'High', 'Low', 'Close', 'Volume']];
    else if (rest === 4) [roles, names] = [[Role.DateTime, ...P], ['DateTime', 'Open', 'High', 'Low', 'Close']];
    else if (rest === 6) [roles, names] = [[Role.DateTime, ...P, Role.TickVolume, Role.Spread], ['DateTime', 'Open', 'High', 'Low', 'Close', 'TickVolume', 'Spread']];
  } else if (EPOCH.test(fields[0]!)) {
    layout = 'mt5-copy-rates';
    if (nf === 8) [roles, names] = [[Role.Stamp, ...P, Role.TickVolume, Role.Spread, Role.RealVolume], ['time', 'open', 'high', 'low', 'close', 'tick_volume', 'spread', 'real_volume']];
    else if (nf === 6) [roles, names] = [[Role.Stamp, ...P, Role.TickVolume], ['time', 'open', 'high', 'low', 'close', 'volume']];
    else if (nf === 5) [roles, names] = [[Role.Stamp, ...P], ['time', 'open', 'high', 'low', 'close']];
  } else {
    return `the first line has no header and does not start with a date, a date and time, or an epoch time`;
  }
  if (!roles || !names) return `the first line has no header and ${nf} fields, a count no headerless layout has (MT4 History Center: Date,Time,Open,High,Low,Close,Volume — 7)`;
  return { layout, roles, names, header: false, ignored: [] };
}

/** A bar file that cannot be read: every problem found, with its line and field (the first ten in the message). */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line: number; field?: string; message: string }[],
  ) {
    const shown = problems.slice(0, 10).map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.message}`);
    if (problems.length > 10) shown.push(`… and ${problems.length - 10} more problems`);
    super(shown.join('\n'));
    this.name = 'DataError';
  }
}

export type Problem = { line: number; field?: string; message: string };

/** How a file is laid out, from its first non-empty line, and where its bars start. */
export interface FilePlan {
  plan: ColumnPlan;
  sepChar: string;
  sep: number;
  dec: boolean;
  header: boolean;
  /** The line of the header (or of the first bar). */
  headerLine: number;
  /** Where the rows start, and the line before them. */
  rowsAt: number;
  lineNo: number;
  /** Whether the first non-empty line ended with a newline (else it runs to the end of the bytes). */
  complete: boolean;
  /** The symbol the first bar names, for a file with a symbol column. */
  symbol?: string;
}

export function planBytes(b: Uint8Array, file: string): FilePlan {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const len = b.length;
  // the first non-empty line: the header, or the first bar of a file without one
  let pos = 0, lineNo = 0, headerText = '', complete = false;
  while (pos < len) {
    let end = buf.indexOf(10, pos);
    complete = end >= 0;
    if (end < 0) end = len;
    lineNo++;
    headerText = text(b, pos, end);
    pos = end + 1;
    if (headerText !== '') break;
  }
  if (headerText === '') throw new DataError(file, [{ line: 1, message: `the file is empty: ${LAYOUT_HELP}` }]);
  const headerLine = lineNo;
  const sepChar = headerText.includes('\t') ? '\t' : headerText.includes(';') ? ';' : ',';
  const dec = sepChar !== ',';
  const fields = headerText.split(sepChar);
  const header = looksLikeHeader(fields[0]!);
  if (sepChar === ',') quotedDecimalCommas(b, header ? pos : 0, file, header ? headerLine + 1 : headerLine);
  const plan = header ? planFromHeader(fields) : planFromData(fields);
  if (typeof plan === 'string') {
    const sepName = sepChar === '\t' ? 'tabs' : `'${sepChar}'`;
    throw new DataError(file, [{
      line: headerLine,
      message: `unrecognised ${header ? 'header' : 'first line'} '${headerText.slice(0, 120)}': ${LAYOUT_HELP}. Saw ${fields.length} column(s) separated by ${sepName}${header ? ` named ${fields.map((f) => f.trim()).join(', ')}` : ''}: ${plan}`,
    }]);
  }
  if (!header) {
    pos = 0; // the first line is a bar
    lineNo = 0;
    while (pos < len && (b[pos] === 10 || b[pos] === 13 || b[pos] === 32)) {
      if (b[pos] === 10) lineNo++;
      pos++;
    }
  }
  let end = buf.indexOf(10, pos);
  if (end < 0) end = len;
  const firstBar = plan.header && pos < len ? text(b, pos, end).split(sepChar) : undefined;
  // a lone Time column holding times of day: the header's date column has a name not recognised
  // (<TICKER>,<DTYYYYMMDD>,<TIME>,…): say which, not that every bar's time is not a date and time
  const stamp = plan.roles.indexOf(Role.Stamp);
  const v = stamp >= 0 ? firstBar?.[stamp] : undefined;
  if (v !== undefined && TIME_ONLY.test(v) && !EPOCH.test(v)) {
    throw new DataError(file, [{
      line: headerLine,
      message: `the header's ${plan.names[stamp]} column holds times of day ('${v.trim()}') and no column is recognised as the date${plan.ignored.length ? `: not recognised ${plan.ignored.map((c) => `'${c}'`).join(', ')}` : ''}. ` +
        `Name the date column Date (or Day), or give the date and time in one DateTime column: ${LAYOUT_HELP}`,
    }]);
  }
  let symbol: string | undefined;
  if (plan.symbolColumn !== undefined) symbol = (firstBar ?? text(b, pos, end).split(sepChar))[plan.symbolColumn]?.trim().replace(/^["']|["']$/g, '') || undefined;
  return { plan, sepChar, sep: sepChar.charCodeAt(0), dec, header, headerLine, rowsAt: Math.min(pos, len), lineNo, complete, ...(symbol ? { symbol } : {}) };
}

/** A number with a decimal comma in quotes ("1,10450"): a comma-separated file that writes its decimals with commas. */
const QUOTED_DECIMAL_COMMA = /"\s*-?\d+,\d+\s*"/;

/**
 * Comma-separated bars whose prices are quoted with decimal commas ("1,10450","1,10500"): the reader splits at every
 * comma and does not read quoted fields, so say so at once, not as the high below the low it would read. Looks at the
 * first bar's line (from `from`, line `line`) only.
 */
function quotedDecimalCommas(b: Uint8Array, from: number, file: string, line: number): void {
  let pos = from;
  while (pos < b.length && (b[pos] === 10 || b[pos] === 13 || b[pos] === 32)) {
    if (b[pos] === 10 && from > 0) line++;
    pos++;
  }
  const nl = Buffer.from(b.buffer, b.byteOffset, b.length).indexOf(10, pos);
  const first = text(b, pos, nl < 0 ? b.length : nl);
  const m = QUOTED_DECIMAL_COMMA.exec(first);
  if (!m) return;
  throw new DataError(file, [{
    line,
    message: `the prices are written with decimal commas in quotes (${m[0]}) between commas: quoted fields are not read. ` +
      `Export the bars with ';' or tabs between the fields (decimal commas are read then), or with decimal points: ${LAYOUT_HELP}`,
  }]);
}

/**
 * Rows to make room for: the bytes left over the average line length of the first 64 KB, with a margin. Memory
 * made room for but not written costs nothing (a page is mapped when first written); the reader grows if short.
 */
export function estimateRows(b: Uint8Array, from: number, total: number): number {
  const end = Math.min(b.length, from + 65536);
  let lines = 0;
  for (let i = from; i < end; i++) if (b[i] === 10) lines++;
  const avg = lines > 0 ? (end - from) / lines : 16;
  return Math.ceil(((total - from) / Math.max(avg, 8)) * 1.25) + 16;
}


/** A comma in the first 4,096 bytes of a file separated by tabs or semicolons: its decimals are written with commas. */
export function hasDecimalComma(b: Uint8Array): boolean {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 4096)).includes(44);
}
