/**
 * A fleet's hosts, as Ansible reads the inventory (`ansible-inventory --list`), and Ansible's host
 * patterns resolved against them (inventory/manager.py of ansible-core 2.14, re-read here so that
 * lint and batch planning do not start Ansible once per pattern).
 */
import type { ExecFileException } from 'node:child_process';
import path from 'node:path';

/** Where the fleet's hosts come from and how they are grouped. */
export interface Inventory {
  /** The inventory file as given. */
  file: string;
  /** Every host, in inventory order (the order of `ansible --list-hosts all`). */
  hosts: string[];
  /** Each group's hosts, its children's included, in Ansible's order; has `all` and `ungrouped`. */
  groups: Record<string, string[]>;
}

/** What Ansible's installer is called, for the messages that say what to install. */
export const ANSIBLE_PACKAGE_HINT = 'install the Debian package ansible (apt-get install -y ansible)';

const INVENTORY_TIMEOUT_MS = 60_000;
const MAX_ERROR_CHARS = 600;

/** Read the inventory with `ansible-inventory`; never throws: a problem is `{ error }` naming the file. */
export async function readInventory(
  file: string,
  options: { signal?: AbortSignal; cwd?: string } = {},
): Promise<Inventory | { error: string }> {
  const cwd = options.cwd ?? process.cwd();
  // Loaded here, not with the module: lint imports this module for every fleet runbook, and with a
  // warm inventory cache it never starts ansible-inventory; child_process brings net, dgram and the
  // stream classes with it (bench/RESULTS.md, lint-corpus).
  const { execFile } = await import('node:child_process');
  const output = await new Promise<{ stdout: string; stderr: string; failure?: ExecFileException }>((resolve) => {
    execFile(
      'ansible-inventory',
      ['-i', file, '--list'],
      {
        cwd,
        signal: options.signal,
        timeout: INVENTORY_TIMEOUT_MS,
        maxBuffer: 256 * 1024 * 1024,
        // An inventory Ansible cannot parse is an error here, not a warning and an empty fleet. The
        // listing is ansible-inventory's stdout, where a verbosity or debug setting (an operator's
        // ANSIBLE_VERBOSITY, `verbosity =` in an ansible.cfg) would print its own lines before the
        // JSON: both are turned off here, the environment winning over any configuration file.
        env: {
          ...process.env,
          ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
          ANSIBLE_RETRY_FILES_ENABLED: 'False',
          ANSIBLE_NOCOLOR: 'True',
          ANSIBLE_VERBOSITY: '0',
          ANSIBLE_DEBUG: 'False',
        },
      },
      (failure, stdout, stderr) => resolve({ stdout, stderr, ...(failure === null ? {} : { failure }) }),
    );
  });
  const where = path.resolve(cwd, file);
  if (output.failure !== undefined) {
    const { failure } = output;
    if (failure.code === 'ENOENT')
      return { error: `ansible-inventory is not installed, so the inventory ${file} cannot be read: ${ANSIBLE_PACKAGE_HINT}` };
    if (failure.name === 'AbortError') return { error: `reading the inventory ${file} was canceled` };
    if (failure.killed === true)
      return { error: `ansible-inventory took longer than ${INVENTORY_TIMEOUT_MS / 1000}s to read the inventory ${file}` };
    const said = explain(output.stderr);
    return {
      error: `the inventory ${where} cannot be read by Ansible${said === '' ? '' : `: ${said}`}; fix the file or the inventory: setting`,
    };
  }
  let listing: unknown;
  try {
    listing = JSON.parse(output.stdout);
  } catch {
    return { error: `ansible-inventory gave no JSON for the inventory ${where}: ${explain(output.stderr || output.stdout)}` };
  }
  return inventoryFromListing(file, listing);
}

/** Ansible's own words, without its warning prefixes, short enough for one message. */
function explain(stderr: string): string {
  const text = stderr
    .split('\n')
    .map((line) =>
      line
        .replace(/^\[WARNING\]:\s*/, '')
        .replace(/^ERROR!\s*/, '')
        .trim(),
    )
    .filter((line) => line !== '')
    .join(' ');
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

interface ListedGroup {
  hosts?: string[];
  children?: string[];
}

/** The inventory from `ansible-inventory --list` JSON: `{ all: {children}, GROUP: {hosts, children}, _meta }`. */
export function inventoryFromListing(file: string, listing: unknown): Inventory | { error: string } {
  if (typeof listing !== 'object' || listing === null) return { error: `ansible-inventory listed no groups for ${file}` };
  const listed = new Map<string, ListedGroup>();
  for (const [name, value] of Object.entries(listing as Record<string, unknown>)) {
    if (name === '_meta' || typeof value !== 'object' || value === null) continue;
    const group = value as Record<string, unknown>;
    listed.set(name, { hosts: strings(group.hosts), children: strings(group.children) });
  }
  if (!listed.has('all')) listed.set('all', { children: [...listed.keys()] });
  const groups: Record<string, string[]> = {};
  for (const name of listed.keys()) groups[name] = hostsOfGroup(name, listed);
  if (groups.ungrouped === undefined) groups.ungrouped = [];
  return { file, hosts: groups.all ?? [], groups };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * A group's hosts as Ansible's Group.get_hosts gives them: its own, then each level of descendants in
 * the order they were first reached, without repeats.
 */
function hostsOfGroup(name: string, listed: Map<string, ListedGroup>): string[] {
  const hosts = new Set<string>();
  const seen = new Set<string>([name]);
  let level = [name];
  while (level.length > 0) {
    const next: string[] = [];
    for (const group of level) {
      for (const host of listed.get(group)?.hosts ?? []) hosts.add(host);
      for (const child of listed.get(group)?.children ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        next.push(child);
      }
    }
    level = next;
  }
  return [...hosts];
}

/**
 * The hosts an Ansible host pattern names, in inventory order: `a:b` / `a,b` union, `:&x` intersection,
 * `:!x` exclusion (unions first, then intersections, then exclusions, as Ansible applies them), globs,
 * `~regex`, `all`, group or host names, `[i]` / `[i:j]` subscripts. A pattern matching nothing gives [].
 * Unlike Ansible, a name that is not in the inventory never means the implicit localhost.
 */
export function matchHosts(pattern: string, inventory: Inventory): string[] | { error: string } {
  const patterns = orderPatterns(splitHostPattern(pattern));
  let chosen: string[] = [];
  const hostSet = new Set(inventory.hosts);
  for (const part of patterns) {
    if (hostSet.has(part)) {
      if (!chosen.includes(part)) chosen.push(part);
      continue;
    }
    const matched = matchOnePattern(part, inventory);
    if ('error' in matched) return matched;
    const that = new Set(matched.hosts);
    if (part.startsWith('!')) chosen = chosen.filter((host) => !that.has(host));
    else if (part.startsWith('&')) chosen = chosen.filter((host) => that.has(host));
    else for (const host of matched.hosts) if (!chosen.includes(host)) chosen.push(host);
  }
  const result = new Set(chosen);
  return inventory.hosts.filter((host) => result.has(host));
}

/** inventory/manager.py split_host_pattern: commas split; otherwise colons, outside `[...]`, unless it is one address. */
function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (/^[^\s:[\]]+:\d+$/.test(pattern) || /^[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F]*$/.test(pattern)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** Unions, then intersections, then exclusions; with no union, `all`. */
function orderPatterns(patterns: string[]): string[] {
  const regular = patterns.filter((p) => !p.startsWith('!') && !p.startsWith('&'));
  const intersections = patterns.filter((p) => p.startsWith('&'));
  const exclusions = patterns.filter((p) => p.startsWith('!'));
  return [...(regular.length === 0 ? ['all'] : regular), ...intersections, ...exclusions];
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

function matchOnePattern(part: string, inventory: Inventory): { hosts: string[] } | { error: string } {
  const bare = part.startsWith('&') || part.startsWith('!') ? part.slice(1) : part;
  if (bare === '') return { hosts: [] };
  let expression = bare;
  let subscript: [number, number | null] | undefined;
  const indexed = bare.startsWith('~') ? null : SUBSCRIPT.exec(bare);
  if (indexed) {
    expression = indexed[1] as string;
    if (indexed[2] !== undefined) subscript = [Number(indexed[2]), null];
    else subscript = [Number(indexed[3]), indexed[5] === '' || indexed[5] === undefined ? -1 : Number(indexed[5])];
  }
  const matched = enumerateMatches(expression, inventory);
  if ('error' in matched) return matched;
  if (subscript === undefined || matched.hosts.length === 0) return matched;
  const [start, end] = subscript;
  if (end === null) {
    const host = start < 0 ? matched.hosts[matched.hosts.length + start] : matched.hosts[start];
    if (host === undefined) return { error: `the host pattern ${part} has no host at index ${start}: fix the subscript` };
    return { hosts: [host] };
  }
  return { hosts: matched.hosts.slice(start, (end === -1 ? matched.hosts.length - 1 : end) + 1) };
}

/** Groups whose name matches give all their hosts; hosts match by name when no group did, or the pattern is a glob or regex. */
function enumerateMatches(expression: string, inventory: Inventory): { hosts: string[] } | { error: string } {
  const matcher = compilePattern(expression);
  if (matcher === undefined)
    return { error: `the host pattern ${expression} is not a valid ${expression.startsWith('~') ? 'regular expression' : 'glob'}: fix it` };
  const results: string[] = [];
  const groupNames = Object.keys(inventory.groups).filter((name) => matcher.test(name));
  for (const name of groupNames) results.push(...(inventory.groups[name] ?? []));
  if (groupNames.length === 0 || expression.startsWith('~') || /[.?*[]/.test(expression)) {
    results.push(...inventory.hosts.filter((host) => matcher.test(host)));
  }
  return { hosts: [...new Set(results)] };
}

/** Python's re.match (anchored at the start only) for `~regex`; fnmatch's whole-name match for the rest. */
function compilePattern(expression: string): RegExp | undefined {
  try {
    if (expression.startsWith('~')) return new RegExp(`^(?:${expression.slice(1)})`, 'u');
    return new RegExp(`^${fnmatchToRegex(expression)}$`, 'su');
  } catch {
    // Not a valid expression: the caller names the pattern to fix.
    return undefined;
  }
}

/** Python's fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`; everything else literal. */
function fnmatchToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', glob[i + 1] === '!' ? i + 3 : i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let set = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      else if (set.startsWith('^')) set = `\\${set}`;
      out += `[${set}]`;
      i = close;
    } else out += char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return out;
}
