/** Building the project's MQL5 programs with the mql-test-harness (cached between runs and workers). */
import path from 'node:path';
import { buildEa, type BuildResult } from '../tools/mql-test-harness/src/build.js';

export const MQL5_DIR = path.resolve('mql5');
export const INCLUDE_ROOT = path.join(MQL5_DIR, 'Include');
export const BRIDGE_EA = path.join(MQL5_DIR, 'Experts', 'ExecutorBridge.mq5');
export const ECHO_EA = path.resolve('tests', 'mql', 'MsgPackEcho.mq5');

export function build(entry: string, sanitize = false): Promise<BuildResult> {
  return buildEa({ entry, includeRoot: INCLUDE_ROOT, sanitize });
}
