/**
 * The host's scheduling priority (config `priority`, src/host/priority.ts; default normal): raised when asked; where the
 * system does not allow it (Linux without CAP_SYS_NICE) it says so and runs at normal priority — never a failed start.
 * (On Linux a nice value is a thread's: the test's own thread is raised, then put back.)
 */
import { getPriority, setPriority } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/host/config.js';
import { applyPriority } from '../../src/host/priority.js';

describe('the host priority', () => {
  const before = getPriority();
  afterAll(() => {
    try {
      setPriority(before);
    } catch {
      /* it was never raised */
    }
  });

  it('defaults to normal; an unknown level is refused by the config naming the field', () => {
    expect(configSchema.parse({}).priority).toBe('normal');
    expect(configSchema.parse({ priority: 'above-normal' }).priority).toBe('above-normal');
    const bad = configSchema.safeParse({ priority: 'realtime' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['priority']);
  });

  it('raises the thread (-7 above normal, -14 high) where allowed; elsewhere says why and stays as it was', () => {
    for (const [asked, nice] of [['above-normal', -7], ['high', -14]] as const) {
      const was = getPriority();
      const out = applyPriority(asked);
      expect(out.asked).toBe(asked);
      if (out.applied) expect([out.now, getPriority()]).toEqual([nice, nice]);
      else {
        // not allowed (no CAP_SYS_NICE): the reason, and the priority unchanged
        expect(out.error).toMatch(/EACCES|permission|not permitted/i);
        expect(out.now).toBe(was);
      }
      if (process.getuid?.() === 0) expect(out.applied).toBe(true); // root may: it must have been applied
    }
    expect(applyPriority('normal')).toMatchObject({ asked: 'normal', applied: true, now: getPriority() });
  });
});
