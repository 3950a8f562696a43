/**
 * A strategy's ML model (options.ml): loaded from the host's model folder when the strategy is prepared. A model
 * that cannot be loaded is logged and left out — enforce mode then refuses the strategy's entries (the runner's
 * gate), observe mode logs no scores.
 */
import type { SignalModel } from '../../engine/ml/model.js';
import type { NormalizedStrategy } from '../../engine/strategy/normalize.js';
import type { Logger } from '../logger.js';

export function loadStrategyModel(s: NormalizedStrategy, loadModel: ((name: string) => SignalModel) | undefined, log: Logger): SignalModel | undefined {
  const ml = s.options.ml;
  if (!ml || ml.mode === 'off' || !ml.model) return undefined;
  try {
    if (!loadModel) throw new Error('this host has no model folder configured');
    const model = loadModel(ml.model);
    log.info({ strategyId: s.id, model: ml.model, modelVersion: model.version, mode: ml.mode }, 'ML model loaded');
    return model;
  } catch (e) {
    log.error({ strategyId: s.id, model: ml.model, mode: ml.mode, err: (e as Error).message }, ml.mode === 'enforce' ? 'ML model not loaded: enforce mode refuses this strategy\'s entries until it is' : 'ML model not loaded: observe mode logs no scores');
    return undefined;
  }
}
