/**
 * Recovery from the platform's active-strategies list, at every platform connection: a strategy the platform
 * says is active but this executor does not run (a lost state, a new machine) is started, as START_STRATEGY would;
 * one the executor runs but the platform does not list is reported and left running (stopping trading on the
 * strength of a list is the platform's decision to make with STOP_STRATEGY, not the executor's).
 */
import type { Logger } from '../logger.js';
import type { StrategyManager } from '../trading/manager.js';
import type { PlatformClient } from './client.js';

export interface RestoreReport {
  available: boolean;
  started: string[];
  alreadyRunning: string[];
  notListed: string[];
  failed: { id: string; error: string }[];
}

export async function restoreFromPlatform(platform: Pick<PlatformClient, 'activeStrategies'>, mgr: StrategyManager, log: Logger): Promise<RestoreReport> {
  const report: RestoreReport = { available: false, started: [], alreadyRunning: [], notListed: [], failed: [] };
  let list: { id: string; parameters: unknown }[] | undefined;
  try {
    list = await platform.activeStrategies();
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'the platform\'s active-strategies list could not be read; strategies stay as stored');
    return report;
  }
  if (!list) {
    log.info('the platform has no active-strategies list (404): strategies restored from local state only');
    return report;
  }
  report.available = true;
  const listed = new Set(list.map((x) => x.id));
  for (const { id, parameters } of list) {
    const r = mgr.get(id);
    if (r && r.record.status !== 'stopped') {
      report.alreadyRunning.push(id);
      continue;
    }
    try {
      await mgr.start(parameters);
      report.started.push(id);
      log.warn({ strategyId: id }, 'strategy restored from the platform\'s active list (it was not running here)');
    } catch (e) {
      report.failed.push({ id, error: (e as Error).message });
      log.error({ strategyId: id, err: (e as Error).message }, 'a strategy the platform lists as active could not be started');
    }
  }
  for (const r of mgr.list()) {
    if (r.status !== 'stopped' && !listed.has(r.id)) {
      report.notListed.push(r.id);
      log.warn({ strategyId: r.id, status: r.status }, 'strategy runs here but the platform does not list it as active: left running, reported');
    }
  }
  return report;
}
