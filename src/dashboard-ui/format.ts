/** Numbers and times as a trader reads them. */
export const money = (x: number | null | undefined, currency = ''): string =>
  x === null || x === undefined ? '–' : `${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}${currency ? ' ' + currency : ''}`;

export const num = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined ? '–' : x.toFixed(digits));

/** Broker server time (s) as YYYY-MM-DD HH:MM. */
export const serverTime = (s: number | null | undefined): string => (s ? new Date(s * 1000).toISOString().slice(0, 16).replace('T', ' ') : '–');

export const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

export const pnlClass = (x: number): string => (x > 0 ? 'pos' : x < 0 ? 'neg' : '');
