/**
 * Writing the whole state: at once (start, recovery: synchronous), or in slices while the host runs (a
 * compaction: a few ms of work per turn of the event loop, the file written off-thread, synced, renamed).
 * A sliced snapshot is "fuzzy": entries changed while it is written may be in it or not. That is safe because
 * the journal segment open since the snapshot began is kept and replayed over it, and every journal line sets a
 * value or is ordered by a seq (format.ts, applyOp): replaying lines the snapshot already holds changes nothing.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { slicer } from './archive.js';
import { toJson, type StoreData } from './format.js';

/** Write a file whole or not at all: a temporary file, fsync, rename. */
export function writeDurably(file: string, text: string): void {
  const tmp = `${file}.replay-tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  // opened for writing: Windows flushes a file (FlushFileBuffers) only through a handle with write access — a
  // read-only one fails with EPERM, and the host would not start
  const fd = openSync(tmp, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

/**
 * Write `d` to `file` in slices (temporary file, fsync, rename). `paused()` true holds the writer back (a batch of
 * intents is being recorded). Each slice serialises entries for at most ~8 ms, then yields.
 */
export async function writeSnapshotSliced(file: string, d: StoreData, segment: number, paused: () => boolean): Promise<void> {
  const tmp = `${file}.compact-tmp`;
  const fh = await open(tmp, 'w', 0o600);
  const turn = slicer();
  // the text is encoded into one reused megabyte and written from it: no megabyte-long string per chunk (those go
  // to V8's large-object space and stay until a full collection: RSS grew with every compaction)
  const buf = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  const flush = async () => {
    if (used) await fh.write(buf, 0, used);
    used = 0;
  };
  const put = async (s: string) => {
    if (used + s.length * 3 > buf.length) await flush(); // (3 bytes at most per UTF-16 unit)
    if (s.length * 3 > buf.length) await fh.write(s); // one entry longer than the buffer
    else used += buf.write(s, used);
    await turn();
    while (paused()) await new Promise((r) => setImmediate(r));
  };
  try {
    await put(`{"version":1,"segment":${segment}`);
    for (const name of ['strategies', 'intents', 'commands'] as const) {
      await put(`,"${name}":{`);
      const map = d[name] as Record<string, unknown>;
      let first = true;
      for (const id of Object.keys(map)) {
        const v = map[id];
        if (v === undefined) continue; // gone meanwhile (its removal is in the journal)
        await put(`${first ? '' : ','}${JSON.stringify(id)}:${toJson(v)}`);
        first = false;
      }
      await put('}');
    }
    await put(`,"daily":${toJson(d.daily)}`);
    const audit = d.audit.slice();
    await put(',"audit":[');
    for (let i = 0; i < audit.length; i++) await put(`${i ? ',' : ''}${toJson(audit[i])}`);
    await put(']');
    if (d.safety) await put(`,"safety":${toJson(d.safety)}`);
    await put(`,"outbox":${toJson(d.outbox)}}`);
    await flush();
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}
