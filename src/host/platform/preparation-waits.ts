/**
 * The commands that wait for a strategy's preparation (its symbol's spec and history read from the terminal, its
 * symbol subscribed) before they answer: START_STRATEGY, UPDATE_STRATEGY, and RESUME_STRATEGY of a strategy never
 * prepared. While no terminal is connected they wait for one; a preparation that fails is the command's error
 * (docs/platform.md), and the strategy is stopped — or, for a resume, paused again.
 */
import type { Logger } from '../logger.js';
import type { StrategyRecord } from '../state/store.js';
import type { StrategyManager } from '../trading/manager.js';

/** The strategy could not be prepared (the reason: the terminal's refusal or the time out). */
export class NotPrepared extends Error {}

export class PreparationWaits {
  constructor(private readonly mgr: StrategyManager, private readonly log: Logger) {}

  /**
   * START_STRATEGY: start, then wait until the manager has prepared it (its history loaded, its symbol
   * subscribed). While no terminal is connected it waits for one. If it cannot be prepared (the terminal refused the
   * symbol or its history, or did not answer in time), the strategy is stopped — so it does not come up unprepared
   * and trade later on the strength of a 'failed' status — and the reason is the command's error.
   */
  async start(parameters: unknown): Promise<{ id: string; status: string }> {
    this.listen();
    const since = this.prepared.seq;
    const record = await this.mgr.start(parameters);
    return this.untilPrepared(record, since, 'START_STRATEGY');
  }

  /** UPDATE_STRATEGY: the new parameters, and (unless the strategy is stopped) the same wait as a start. */
  async update(id: string, parameters: unknown): Promise<{ id: string; status: string }> {
    this.listen();
    const since = this.prepared.seq;
    await this.mgr.update(id, parameters);
    const record = this.mgr.get(id)?.record;
    if (!record || record.status === 'stopped') return { id, status: record?.status ?? 'stopped' };
    return this.untilPrepared(record, since, 'UPDATE_STRATEGY');
  }

  /**
   * RESUME_STRATEGY: a strategy paused before it was ever prepared (restored paused, its history refused at the
   * connection) is prepared by its resume — the same wait as a start; if that fails it is paused again (not stopped:
   * the trader paused it, and a pause is what it was) and the reason is the command's error. A prepared one resumes
   * at once.
   */
  async resume(id: string): Promise<{ id: string; status: string }> {
    this.listen();
    const since = this.prepared.seq;
    const wasPrepared = this.mgr.get(id)?.runner !== undefined;
    await this.mgr.resume(id);
    const record = this.mgr.get(id)?.record;
    if (wasPrepared || !record) return { id, status: record?.status ?? 'running' };
    return this.untilPrepared(record, since, 'RESUME_STRATEGY');
  }

  private async untilPrepared(record: StrategyRecord, since: number, verb: 'START_STRATEGY' | 'UPDATE_STRATEGY' | 'RESUME_STRATEGY'): Promise<{ id: string; status: string }> {
    const resuming = verb === 'RESUME_STRATEGY';
    for (let waiting = false; ; ) {
      const ev = this.prepared.last.get(record.id);
      if (ev && ev.seq > since && ev.reason === undefined) return { id: record.id, status: this.mgr.get(record.id)?.record.status ?? record.status };
      if (ev && ev.seq > since) {
        if (resuming) {
          if (this.mgr.get(record.id)?.record.status === 'running') await this.mgr.pause(record.id);
          throw new NotPrepared(`strategy ${record.id} could not be prepared: ${ev.reason}. It stays paused; send RESUME_STRATEGY again when the terminal can give ${record.id}'s symbol and history`);
        }
        await this.mgr.stop(record.id, false);
        throw new NotPrepared(`strategy ${record.id} could not be prepared: ${ev.reason}. It is stopped (its open positions stay as they are); send ${verb} again when the terminal can give ${record.id}'s symbol and history`);
      }
      const now = this.mgr.get(record.id);
      if (!now || now.record.status === 'stopped' || now.record.parameters !== record.parameters || (resuming && now.record.status !== 'running')) {
        throw new NotPrepared(`strategy ${record.id} was stopped, paused or replaced before it was prepared`);
      }
      if (!waiting) this.log.info({ strategyId: record.id }, `${verb} waits for the terminal to prepare the strategy (history, subscription)`);
      waiting = true;
      // the next preparation, or a second (a STOP_STRATEGY or a later start in the meantime ends the wait above)
      await new Promise<void>((res) => {
        const wake = () => {
          clearTimeout(t);
          this.prepared.wake.delete(wake);
          res();
        };
        const t = setTimeout(wake, 1000);
        this.prepared.wake.add(wake);
      });
    }
  }

  /** The manager's preparations as they end (one listener per processor, however many starts wait). */
  private readonly prepared = { seq: 0, listening: false, last: new Map<string, { seq: number; reason?: string }>(), wake: new Set<() => void>() };

  private listen(): void {
    const p = this.prepared;
    if (p.listening) return;
    p.listening = true;
    const note = (id: string, reason?: string) => {
      p.last.set(id, reason === undefined ? { seq: ++p.seq } : { seq: ++p.seq, reason });
      for (const w of [...p.wake]) w();
    };
    this.mgr.on('prepared', (e: { id: string }) => note(e.id));
    this.mgr.on('prepareFailed', (e: { id: string; reason: string }) => note(e.id, e.reason));
  }
}
