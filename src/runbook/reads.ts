/**
 * The runbook files one command reads, each read once: a lint of a folder's runbooks reads each of
 * them as a runbook and again as a sibling whose `id:` may clash (identity.ts), and lists the
 * folder once per runbook with an id. A new RunbookReads reads afresh, so a long-lived process (the
 * TUI, a test) never sees a file as it was at an earlier command.
 */
import { type Dirent, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** One command's reads of runbook files and folders; what failed fails again the same way. */
export class RunbookReads {
  readonly #texts = new Map<string, { text: string } | { error: unknown }>();
  readonly #folders = new Map<string, { entries: Dirent[] } | { error: unknown }>();
  readonly #canonical = new Map<string, { path: string } | { error: unknown }>();

  /** The file's text (UTF-8); throws what readFileSync throws. */
  text(file: string): string {
    const key = resolve(file);
    let read = this.#texts.get(key);
    if (read === undefined) {
      try {
        read = { text: readFileSync(file, 'utf8') };
      } catch (error) {
        read = { error };
      }
      this.#texts.set(key, read);
    }
    if ('error' in read) throw read.error;
    return read.text;
  }

  /** The folder's entries; throws what readdirSync throws. */
  entries(dir: string): Dirent[] {
    const key = resolve(dir);
    let listed = this.#folders.get(key);
    if (listed === undefined) {
      try {
        listed = { entries: readdirSync(dir, { withFileTypes: true }) };
      } catch (error) {
        listed = { error };
      }
      this.#folders.set(key, listed);
    }
    if ('error' in listed) throw listed.error;
    return listed.entries;
  }

  /** The system's realpath of the file; throws what realpathSync.native throws. */
  realPath(file: string): string {
    const key = resolve(file);
    let found = this.#canonical.get(key);
    if (found === undefined) {
      try {
        found = { path: realpathSync.native(file) };
      } catch (error) {
        found = { error };
      }
      this.#canonical.set(key, found);
    }
    if ('error' in found) throw found.error;
    return found.path;
  }
}
