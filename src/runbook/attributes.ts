/** Turning an info string's raw attributes into a validated block description. */
import type { BlockAttributes, CaptureAttribute, Executor, FleetAttributes, HostCount, Role } from './model.js';
import { ROLES } from './model.js';
import type { RawAttribute } from './info-string.js';
import { parseDuration } from './duration.js';
import { parseDeviation } from './deviation.js';
import { effectiveSqlExpectation, parseSqlExpect } from './sql-expectation.js';

/** Languages that run, and how. Every other language is display only. */
const EXECUTORS: Record<string, Executor> = { sh: 'shell', bash: 'shell', shell: 'shell', python: 'python', sql: 'sql' };

/** Runme keys we keep and ignore; `name`, `excludeFromRunAll`, `ignore` and `cwd` have a meaning here. */
const RUNME_KEYS = new Set([
  'id', 'interactive', 'background', 'closeTerminalOnSuccess', 'mimeType', 'promptEnv', 'interpreter',
  'terminalRows', 'category', 'skipPrompts', 'openTerminalOnError', 'tag', 'redact', 'interactiveRunner',
]);

/** Every waymark attribute key; used for "did you mean" hints too. */
const WAYMARK_KEYS = [
  'name', 'timeout', 'expect', 'exit', 'retries', 'delay', 'rerun-on-exit', 'codes', 'severity', 'override',
  'after-failure', 'confirm', 'connection', 'cwd', 'excludeFromRunAll', 'ignore', 'hosts', 'batch', 'max-fail', 'forks', 'pause',
  'preflight', 'deviation', 'approve', 'capture',
] as const;

/** Attributes that only mean something on a fleet block (`hosts=`). */
const FLEET_KEYS = ['batch', 'max-fail', 'forks', 'pause'] as const;

/** A validated block head: what to run, in which role, with which options. */
export interface BlockHead {
  executor: Executor | null;
  role: Role;
  name?: string;
  attrs: BlockAttributes;
  runme: Record<string, unknown>;
  problems: string[];
}

const BLOCK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const ROLE_WORDS: ReadonlySet<string> = new Set(ROLES);
const WAYMARK_KEY_SET: ReadonlySet<string> = new Set(WAYMARK_KEYS);

function isTruthy(value: string | true): boolean {
  return value === true || !/^(false|0|no|off)$/i.test(value);
}

function nonNegativeInt(value: string | true): number | undefined {
  if (value === true || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** `5` or `25%`: a number of hosts (at least `min`) or a percentage from 1 to 100. */
export function parseHostCount(text: string, min: number): HostCount | undefined {
  const percent = /^(\d+)%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    return value >= 1 && value <= 100 ? { percent: value } : undefined;
  }
  if (!/^\d+$/.test(text)) return undefined;
  const count = Number(text);
  return count >= min ? { count } : undefined;
}

/** Ansible host patterns: names, groups, globs, `~regex`, joined by `:` or `,` with `&` and `!`. */
const HOST_PATTERN = /^[A-Za-z0-9_.*?~\[\]:,&!^$()|\\+-]+$/;

/** `NAME` or `NAME:rows`, NAME as the front matter's variable names are written. */
const CAPTURE_VALUE = /^[A-Za-z_][A-Za-z0-9_]*(:rows)?$/;

/** The capture a block declares, or what is wrong with it (`:rows` is for sql results only). */
function captureOf(value: string, executor: Executor): CaptureAttribute | string {
  const rows = value.endsWith(':rows');
  const name = rows ? value.slice(0, -':rows'.length) : value;
  if (rows && executor !== 'sql') return `capture=${value}: :rows is only for sql blocks; a ${executor} block's capture is its standard output`;
  return { name, form: executor === 'sql' ? (rows ? 'rows' : 'value') : 'stdout' };
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function closest(key: string): string {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const known of [...WAYMARK_KEYS, ...ROLES]) {
    const distance = editDistance(lower, known.toLowerCase());
    if (!best || distance < best.distance) best = { key: known, distance };
  }
  // Only close misspellings (a third of the word or less) or a shortened key (`retry`) deserve a guess.
  if (best && best.distance <= Math.max(1, Math.floor(best.key.length / 3))) return ` (did you mean "${best.key}"?)`;
  const prefix = lower.length >= 4 ? [...WAYMARK_KEYS, ...ROLES].find((known) => known.toLowerCase().startsWith(lower.slice(0, 4))) : undefined;
  return prefix ? ` (did you mean "${prefix}"?)` : '';
}

/**
 * Validate a block's language, words and attributes. Display-only languages keep other
 * tools' hints (e.g. `yaml title=x.yaml`) without complaint: only runnable blocks are strict.
 */
export function interpretBlockHead(lang: string, words: string[], raw: RawAttribute[]): BlockHead {
  const problems: string[] = [];
  let executor: Executor | null = EXECUTORS[lang] ?? null;
  const strict = executor !== null;
  let role: Role | undefined;
  for (const word of words) {
    if (ROLE_WORDS.has(word)) {
      if (role && role !== word) problems.push(`two roles given: "${role}" and "${word}"`);
      role = word as Role;
    } else if (word === 'confirm') {
      raw.push({ key: 'confirm', value: true });
    } else if (strict && (WAYMARK_KEY_SET.has(word) || RUNME_KEYS.has(word))) {
      // A known key written as a bare flag (`ignore`, or `timeout` missing its value) is an attribute.
      raw.push({ key: word, value: true });
    } else if (strict) {
      problems.push(`unknown role or attribute "${word}"${closest(word)}; roles are ${ROLES.join(', ')}`);
    }
  }
  if (!executor && role && role !== 'example' && lang !== '') {
    problems.push(`role "${role}" on a "${lang}" block, which waymark does not run (runnable: sh, bash, shell, python, sql)`);
  }
  const attrs: BlockAttributes = { confirm: false };
  const runme: Record<string, unknown> = {};
  let name: string | undefined;
  let rawExpect: string | undefined;
  let rawCapture: string | undefined;
  const fleet: Partial<FleetAttributes> & { given: string[] } = { given: [] };
  for (const { key, value } of raw) {
    const text = value === true ? '' : value;
    const bad = (what: string) => problems.push(`bad ${key} value "${text}": ${what}`);
    switch (key) {
      case 'name':
        if (value === true || !BLOCK_NAME.test(value)) bad('use letters, digits, "-", "_", "." or ":"');
        else name = value;
        break;
      case 'timeout':
      case 'delay': {
        const ms = value === true ? undefined : parseDuration(value);
        if (ms === undefined || ms <= 0) bad('expected a duration such as 30s, 5m or 1h');
        else if (key === 'timeout') attrs.timeoutMs = ms;
        else attrs.delayMs = ms;
        break;
      }
      case 'exit': {
        const code = nonNegativeInt(value);
        if (code === undefined || code > 255) bad('expected an exit code from 0 to 255');
        else attrs.exit = code;
        break;
      }
      case 'retries': {
        const n = nonNegativeInt(value);
        if (n === undefined) bad('expected a whole number of extra attempts');
        else attrs.retries = n;
        break;
      }
      case 'rerun-on-exit': {
        const code = nonNegativeInt(value);
        if (code === undefined || code > 255) bad('expected the exit code that means "run me again", e.g. 1');
        else attrs.rerunOnExit = code;
        break;
      }
      case 'codes':
        if (value !== 'oslo') bad('the only supported value is "oslo"');
        else attrs.codes = 'oslo';
        break;
      case 'severity':
        if (value !== 'warning' && value !== 'failure') bad('expected "warning"');
        else if (value === 'warning') attrs.severity = 'warning';
        break;
      case 'override':
        if (value !== 'allowed') bad('expected "allowed"');
        else attrs.override = 'allowed';
        break;
      case 'after-failure':
        if (value !== 'stop') bad('the only supported value is "stop" (the step\'s later checks do not run when this one refuses)');
        else attrs.afterFailure = 'stop';
        break;
      case 'approve': {
        const n = value === true ? 1 : nonNegativeInt(value);
        if (n === undefined || n < 1 || n > 9) bad('expected how many other operators must approve the block, 1 to 9 (e.g. approve=1 or approve=2)');
        else attrs.approve = n;
        break;
      }
      case 'confirm':
        attrs.confirm = isTruthy(value);
        break;
      case 'preflight':
        if (value !== 'skip') bad('the only supported value is "skip" (waymark preflight does not run this check early)');
        else attrs.preflight = 'skip';
        break;
      case 'deviation': {
        const rule = value === true ? undefined : parseDeviation(value);
        if (rule === undefined) bad('expected a factor such as 10x or 3, rows:±N (rows:+-N), both joined by a comma, or off');
        else attrs.deviation = rule;
        break;
      }
      case 'connection':
        if (value === true || value === '') bad('expected a connection name from the front matter');
        else attrs.connection = value;
        break;
      case 'cwd':
        if (value === true || value === '') bad('expected a directory');
        else attrs.cwd = value;
        break;
      case 'hosts':
        if (value === true || !HOST_PATTERN.test(value)) bad('expected an Ansible host pattern such as computes, controllers:&ctl-* or computes:!cmp-1');
        else fleet.hosts = value;
        break;
      case 'batch': {
        fleet.given.push(key);
        const sizes = value === true ? [] : value.split(',').map((part) => parseHostCount(part.trim(), 1));
        if (sizes.length === 0 || sizes.some((size) => size === undefined)) bad('expected batch sizes such as 1,5,25% (hosts, or a percentage of the hosts)');
        else fleet.batches = sizes as HostCount[];
        break;
      }
      case 'max-fail': {
        fleet.given.push(key);
        const budget = value === true ? undefined : parseHostCount(value, 0);
        if (budget === undefined) bad('expected a number of hosts or a percentage, such as 2 or 10%');
        else fleet.maxFail = budget;
        break;
      }
      case 'forks': {
        fleet.given.push(key);
        const forks = nonNegativeInt(value);
        if (forks === undefined || forks < 1 || forks > 1000) bad('expected a number of parallel hosts from 1 to 1000');
        else fleet.forks = forks;
        break;
      }
      case 'pause':
        fleet.given.push(key);
        if (value !== 'confirm') bad('the only supported value is "confirm"');
        else fleet.pause = 'confirm';
        break;
      case 'capture':
        if (value === true || !CAPTURE_VALUE.test(value)) bad('expected a variable name such as MIGRATIONS, or NAME:rows for an sql block\'s rows');
        else rawCapture = value;
        break;
      case 'expect':
        if (value === true) bad('expected a value');
        else rawExpect = value;
        break;
      case 'excludeFromRunAll':
      case 'ignore':
        runme[key] = value;
        if (isTruthy(value)) executor = null;
        break;
      default:
        if (RUNME_KEYS.has(key)) runme[key] = value;
        else if (strict) problems.push(`unknown attribute "${key}"${closest(key)}`);
        else runme[key] = value;
    }
  }
  const finalRole: Role = role ?? (executor ? 'run' : 'example');
  if (finalRole === 'example') executor = null;
  if (rawExpect !== undefined && executor) {
    if (executor === 'sql') {
      const parsed = parseSqlExpect(rawExpect);
      if (!parsed) problems.push(`bad expect value "${rawExpect}" for sql: use empty, nonempty, rows:N or value:X`);
      else attrs.sqlExpect = parsed;
    } else {
      try {
        new RegExp(rawExpect, 'm');
        attrs.expect = rawExpect;
      } catch (error) {
        problems.push(`bad expect value "${rawExpect}": not a regular expression (${(error as Error).message})`);
      }
    }
  }
  if (fleet.hosts !== undefined) {
    const { given: _given, hosts, batches, ...rest } = fleet;
    attrs.fleet = { hosts, batches: batches ?? [], ...rest };
  } else {
    for (const key of new Set(fleet.given)) problems.push(`${key}= is only for fleet blocks: add hosts=PATTERN to run this block on an inventory's hosts`);
  }
  if (attrs.fleet && executor) {
    if (executor === 'sql') problems.push('hosts= is not for sql blocks: SQL runs from this machine; run it once without hosts=');
    if (finalRole !== 'run' && finalRole !== 'check' && finalRole !== 'verify' && finalRole !== 'rollback') problems.push(`hosts= is not for ${finalRole} blocks`);
    if (attrs.retries !== undefined || attrs.rerunOnExit !== undefined) problems.push('retries= and rerun-on-exit= are not for fleet blocks yet: failed hosts are re-run with the block');
    if (attrs.cwd !== undefined) problems.push('cwd= is not for fleet blocks: the script runs on each host');
  }
  if (rawCapture !== undefined && executor) {
    const capture = captureOf(rawCapture, executor);
    if (typeof capture === 'string') problems.push(capture);
    else attrs.capture = capture;
    if (attrs.fleet) problems.push('capture= is not for fleet blocks: each host has its own output; capture from a block that runs once on this machine');
  }
  const sqlExpect = effectiveSqlExpectation({ executor, role: finalRole, given: attrs.sqlExpect });
  if (sqlExpect !== undefined) attrs.sqlExpect = sqlExpect;
  if (executor) {
    if (finalRole !== 'check' && attrs.severity) problems.push(`severity= is only for check blocks, not ${finalRole}`);
    if (finalRole !== 'check' && attrs.override) problems.push(`override= is only for check blocks, not ${finalRole}`);
    if (finalRole !== 'check' && attrs.preflight) problems.push(`preflight= is only for check blocks, not ${finalRole}: preflight runs checks only`);
    if (finalRole !== 'check' && attrs.afterFailure) problems.push(`after-failure= is only for check blocks, not ${finalRole}: a failed ${finalRole} block always stops its step`);
    if (finalRole !== 'run' && finalRole !== 'verify' && attrs.approve !== undefined) problems.push(`approve= is only for run and verify blocks, not ${finalRole}: it holds a change until other operators approve it`);
    if (executor !== 'sql' && attrs.connection) problems.push('connection= is only for sql blocks');
    if (executor === 'sql' && attrs.exit !== undefined) problems.push('exit= is not for sql blocks: use expect=');
    if (executor === 'sql' && attrs.codes) problems.push('codes= is not for sql blocks');
    if (executor === 'sql' && attrs.rerunOnExit !== undefined) problems.push('rerun-on-exit= is not for sql blocks');
    if (finalRole === 'run' && attrs.retries !== undefined && attrs.rerunOnExit === undefined) {
      problems.push('retries= on a run block: run blocks are never retried automatically (they may not be safe to run twice); use it on a check or verify, or with rerun-on-exit=');
    }
  }
  const head: BlockHead = { executor, role: finalRole, attrs, runme, problems };
  if (name !== undefined) head.name = name;
  return head;
}
