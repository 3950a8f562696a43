/**
 * Whoever waits for a manager's terminal to connect — an order from the platform delivered just after a host
 * restart, before the EA is back (its reconnection backoff reaches 10 s). Woken by the connection, a time out, or
 * the host's stop. A set, not event listeners: any number of orders may wait.
 */
export type ConnectionWait = 'connected' | 'timeout' | 'stopping';

export class ConnectionWaits {
  private readonly waiters = new Set<(v: ConnectionWait) => void>();

  /** Resolves at the next wake, or 'timeout' after `ms` (the timer does not keep a stopping process alive). */
  wait(ms: number): Promise<ConnectionWait> {
    return new Promise((res) => {
      const done = (v: ConnectionWait) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        res(v);
      };
      const timer = setTimeout(() => done('timeout'), ms);
      timer.unref();
      this.waiters.add(done);
    });
  }

  wake(v: ConnectionWait): void {
    for (const done of [...this.waiters]) done(v);
  }
}
