import { homedir } from 'node:os';
import { join } from 'node:path';

/** The host's data folder: %APPDATA%\FXExecutorV2 on Windows (as the seeds), XDG data home elsewhere. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.MT5_EXECUTOR_HOME) return env.MT5_EXECUTOR_HOME;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'FXExecutorV2');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'mt5-executor');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'mt5-executor');
}
