/** Where waymark keeps what only saves time (the code cache, lint's inventory cache): never state. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The operator's cache folder, $XDG_CACHE_HOME (~/.cache without it). It may be a link they made;
 * the folders waymark makes below it may not (assertNoSymlinksBelowSync, atomic.ts).
 */
export function cacheHome(): string {
  return process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
}
