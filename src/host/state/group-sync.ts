/**
 * Group commit for the state journal: one fsync at a time. A caller that comes while one runs waits for the next,
 * which starts when that one ends — so it covers every line written before the caller asked — and every caller
 * that comes meanwhile shares it. Under concurrent commands that is one fsync per turn instead of one per command.
 */
import { fsync } from 'node:fs';

export class GroupSync {
  /** The fsync under way, and the one queued behind it for the callers that came meanwhile. */
  private syncing: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** fsyncs made; callers that shared one already queued. */
  readonly stats = { syncs: 0, shared: 0 };

  /** `fd()`: the file to sync now (undefined: closed — sealed by a compaction, whose caller waits for it instead). */
  constructor(private readonly fd: () => number | undefined) {}

  /** Resolves when an fsync that started after this call has ended. */
  sync(): Promise<void> {
    if (!this.syncing) return this.start();
    if (this.next) this.stats.shared++;
    this.next ??= this.syncing.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<void> {
    const fd = this.fd();
    if (fd === undefined) return Promise.resolve();
    this.stats.syncs++;
    const p = new Promise<void>((res, rej) => fsync(fd, (e) => (e ? rej(e) : res()))).finally(() => {
      if (this.syncing === p) this.syncing = undefined;
    });
    this.syncing = p;
    return p;
  }
}
