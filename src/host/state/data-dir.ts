import { existsSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

/** The product's one name: the data folder, the install folder, the keychain service. */
export const PRODUCT = 'mt5-executor';
/** The Windows data folder's name before 0.1 (the seeds' product); moved to %APPDATA%\mt5-executor on first use. */
export const LEGACY_WINDOWS_NAME = 'FXExecutorV2';

/** An environment variable that names a usable folder: set, not empty and absolute (XDG: relative values are invalid). */
function absVar(v: string | undefined, platform: NodeJS.Platform): string | undefined {
  return v && (platform === 'win32' ? win32 : posix).isAbsolute(v) ? v : undefined;
}

/**
 * The host's data folder: %APPDATA%\mt5-executor on Windows, ~/Library/Application Support/mt5-executor on macOS,
 * $XDG_DATA_HOME/mt5-executor (default ~/.local/share/mt5-executor) elsewhere; MT5_EXECUTOR_HOME replaces it.
 * Empty or relative variables are ignored, so nothing is ever written relative to the current folder.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.MT5_EXECUTOR_HOME) return env.MT5_EXECUTOR_HOME;
  if (platform === 'win32') return win32.join(absVar(env.APPDATA, platform) ?? win32.join(homedir(), 'AppData', 'Roaming'), PRODUCT);
  if (platform === 'darwin') return posix.join(homedir(), 'Library', 'Application Support', PRODUCT);
  return posix.join(absVar(env.XDG_DATA_HOME, platform) ?? posix.join(homedir(), '.local', 'share'), PRODUCT);
}

/**
 * Windows: move %APPDATA%\FXExecutorV2 to %APPDATA%\mt5-executor when only the old one exists (a rename on the
 * same volume: all or nothing). Returns what was done, for the caller to tell the trader.
 */
export function migrateLegacyDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform !== 'win32' || env.MT5_EXECUTOR_HOME) return undefined;
  const target = defaultDataDir(env, platform);
  const legacy = win32.join(target, '..', LEGACY_WINDOWS_NAME);
  if (!existsSync(legacy) || existsSync(target)) return undefined;
  renameSync(legacy, target);
  return `moved the data folder ${legacy} to ${target}`;
}

/**
 * The data folder a command uses: --data-dir, else MT5X_DATA_DIR, else the default (after moving the old Windows
 * folder; the move is reported through `note`).
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, note: (line: string) => void = () => {}, platform: NodeJS.Platform = process.platform): string {
  if (flag) return flag;
  if (env.MT5X_DATA_DIR) return env.MT5X_DATA_DIR;
  const moved = migrateLegacyDataDir(env, platform);
  if (moved) note(moved);
  return defaultDataDir(env, platform);
}
