/** A command's answer as a line a trader reads: the broker's retcode and text first. */
export function describeOutcome(r: unknown): { ok: boolean; text: string } {
  const o = (r ?? {}) as { status?: string; error?: string; result?: { retcode?: number; retcodeText?: string; price?: number; volume?: number; comment?: string } };
  const res = o.result;
  const broker = res && res.retcode !== undefined ? `broker: ${res.retcode} ${res.retcodeText ?? ''}${res.price !== undefined ? ` at ${res.price}` : ''}${res.volume !== undefined ? `, ${res.volume} lots` : ''}${res.comment ? ` (${res.comment})` : ''}` : '';
  const ok = o.status === 'executed' || o.status === undefined;
  return { ok, text: [o.status ?? 'done', o.error, broker].filter(Boolean).join(' — ') + '\n' + JSON.stringify(r, null, 2) };
}
