/**
 * The host's scheduling priority (config `priority`, default normal). The host is mostly idle — a few per cent of a
 * core — but a closed bar wants its decisions at once, and on a VPS of one or two cores the terminal and everything
 * else compete for them: in bench:host the host's thread waiting for a core was most of its tail (docs/PERFORMANCE.md:
 * raised, the tail fell at 100 strategies and did not move at 1,000). Raised, the host runs as soon as it has work and
 * yields again when done. On Windows this is the process's priority class
 * (ABOVE_NORMAL / HIGH, allowed without administrator rights); on Linux the main thread's nice value (-7 / -14; raising
 * it needs CAP_SYS_NICE — otherwise the host says so and runs at normal priority). Threads started after it inherit it.
 */
import { constants, getPriority, setPriority } from 'node:os';

export type HostPriority = 'normal' | 'above-normal' | 'high';

const LEVEL: Record<HostPriority, number> = {
  normal: constants.priority.PRIORITY_NORMAL,
  'above-normal': constants.priority.PRIORITY_ABOVE_NORMAL,
  high: constants.priority.PRIORITY_HIGH,
};

export interface PriorityOutcome {
  asked: HostPriority;
  /** The priority now (os.getPriority of this thread/process). */
  now: number;
  applied: boolean;
  error?: string;
}

/** Raise (or keep) this process's priority; never throws. */
export function applyPriority(asked: HostPriority): PriorityOutcome {
  if (asked === 'normal') return { asked, now: getPriority(), applied: true };
  try {
    setPriority(LEVEL[asked]);
    return { asked, now: getPriority(), applied: true };
  } catch (e) {
    return { asked, now: getPriority(), applied: false, error: (e as Error).message };
  }
}
