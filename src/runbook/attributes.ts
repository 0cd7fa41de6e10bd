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
  'id',
  'interactive',
  'background',
  'closeTerminalOnSuccess',
  'mimeType',
  'promptEnv',
  'interpreter',
  'terminalRows',
  'category',
  'skipPrompts',
  'openTerminalOnError',
  'tag',
  'redact',
  'interactiveRunner',
]);

/** Every waymark attribute key, each with its parser in ATTRIBUTE_PARSERS (the compiler holds the two together); used for "did you mean" hints too. */
export const WAYMARK_KEYS = [
  'name',
  'timeout',
  'expect',
  'exit',
  'retries',
  'delay',
  'rerun-on-exit',
  'codes',
  'severity',
  'override',
  'after-failure',
  'confirm',
  'connection',
  'cwd',
  'excludeFromRunAll',
  'ignore',
  'hosts',
  'batch',
  'max-fail',
  'forks',
  'pause',
  'preflight',
  'deviation',
  'approve',
  'capture',
] as const;

/** Attributes that only mean something on a fleet block (`hosts=`). */
const FLEET_KEYS = ['batch', 'max-fail', 'forks', 'pause'] as const satisfies readonly WaymarkKey[];

/** A validated block head: what to run, in which role, with which options. */
export interface BlockHead {
  executor: Executor | null;
  role: Role;
  name?: string;
  attrs: BlockAttributes;
  runme: Readonly<Record<string, unknown>>;
  problems: string[];
}

const BLOCK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
/** Each role by its word; the model keeps these strings, not a copy sliced from each block's info string. */
const ROLE_OF: ReadonlyMap<string, Role> = new Map(ROLES.map((role) => [role, role]));
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
const HOST_PATTERN = /^[A-Za-z0-9_.*?~[\]:,&!^$()|\\+-]+$/;

/** `NAME` or `NAME:rows`, NAME as the front matter's variable names are written. */
const CAPTURE_VALUE = /^[A-Za-z_][A-Za-z0-9_]*(:rows)?$/;

/** The capture a block declares, or what is wrong with it (`:rows` is for sql results only). */
function captureOf(value: string, executor: Executor): CaptureAttribute | string {
  const rows = value.endsWith(':rows');
  const name = rows ? value.slice(0, -':rows'.length) : value;
  if (rows && executor !== 'sql')
    return `capture=${value}: :rows is only for sql blocks; a ${executor} block's capture is its standard output`;
  return { name, form: executor === 'sql' ? (rows ? 'rows' : 'value') : 'stdout' };
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
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
  const prefix =
    lower.length >= 4 ? [...WAYMARK_KEYS, ...ROLES].find((known) => known.toLowerCase().startsWith(lower.slice(0, 4))) : undefined;
  return prefix ? ` (did you mean "${prefix}"?)` : '';
}

/** A waymark attribute key. */
type WaymarkKey = (typeof WAYMARK_KEYS)[number];

/** What a block head's attributes build up, key by key, before the head is checked as a whole. */
interface HeadDraft {
  attrs: BlockAttributes;
  /** NO_RUNME_KEYS until keepRunme adds the first key. */
  runme: Readonly<Record<string, unknown>>;
  fleet: Partial<FleetAttributes>;
  name?: string;
  /** `expect=` as written: what it means (a regex, an sql expectation) depends on the executor. */
  expect?: string;
  /** `capture=` as written: its form depends on the executor. */
  capture?: string;
  /** `ignore` or `excludeFromRunAll`: the block is shown, never run. */
  ignored: boolean;
}

/**
 * One attribute's parser (Runme's `document/attributes.go` puts each form behind one interface the
 * same way): it reads the value into the draft, or returns what is wrong with it, which the
 * operator reads as `bad KEY value "VALUE": WHAT`.
 */
type AttributeParser = (value: string | true, head: HeadDraft) => string | undefined;

/** A duration, e.g. `timeout=30s`, stored by `set`. */
function duration(set: (attrs: BlockAttributes, ms: number) => void): AttributeParser {
  return (value, head) => {
    const ms = value === true ? undefined : parseDuration(value);
    if (ms === undefined || ms <= 0) return 'expected a duration such as 30s, 5m or 1h';
    set(head.attrs, ms);
    return undefined;
  };
}

/** An exit code, 0 to 255, stored by `set`; `what` says what it is for. */
function exitCode(what: string, set: (attrs: BlockAttributes, code: number) => void): AttributeParser {
  return (value, head) => {
    const code = nonNegativeInt(value);
    if (code === undefined || code > 255) return what;
    set(head.attrs, code);
    return undefined;
  };
}

/** A key with one allowed value, stored by `set`; `what` says which. */
function only<V extends string>(allowed: V, what: string, set: (head: HeadDraft, value: V) => void): AttributeParser {
  return (value, head) => {
    if (value !== allowed) return what;
    set(head, allowed);
    return undefined;
  };
}

/**
 * The Runme keys of a block that has none, shared by all of them: most blocks have none, and a
 * large runbook's blocks each kept an empty object of their own (8,000 of them, 0.45 MB, in a
 * 2,000-step runbook). Frozen, so that a write meant for one block fails rather than reaching all.
 */
const NO_RUNME_KEYS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Keep a Runme key in the draft's own `runme`, made at the first. */
function keepRunme(head: HeadDraft, key: string, value: unknown): void {
  head.runme = { ...head.runme, [key]: value };
}

/** A Runme key that keeps a block from running (`ignore`, `excludeFromRunAll`): kept for Runme, and a truthy one means "not run". */
function notRun(key: string): AttributeParser {
  return (value, head) => {
    keepRunme(head, key, value);
    if (isTruthy(value)) head.ignored = true;
    return undefined;
  };
}

/**
 * Every waymark key's parser. The type ties it to WAYMARK_KEYS both ways: a key without a parser,
 * or a parser for a key not in the list, does not compile.
 */
const ATTRIBUTE_PARSERS: Record<WaymarkKey, AttributeParser> = {
  name: (value, head) => {
    if (value === true || !BLOCK_NAME.test(value)) return 'use letters, digits, "-", "_", "." or ":"';
    head.name = value;
    return undefined;
  },
  timeout: duration((attrs, ms) => (attrs.timeoutMs = ms)),
  expect: (value, head) => {
    if (value === true) return 'expected a value';
    head.expect = value;
    return undefined;
  },
  exit: exitCode('expected an exit code from 0 to 255', (attrs, code) => (attrs.exit = code)),
  retries: (value, head) => {
    const n = nonNegativeInt(value);
    if (n === undefined) return 'expected a whole number of extra attempts';
    head.attrs.retries = n;
    return undefined;
  },
  delay: duration((attrs, ms) => (attrs.delayMs = ms)),
  'rerun-on-exit': exitCode('expected the exit code that means "run me again", e.g. 1', (attrs, code) => (attrs.rerunOnExit = code)),
  codes: only('oslo', 'the only supported value is "oslo"', (head, codes) => (head.attrs.codes = codes)),
  severity: (value, head) => {
    // `failure` is the default, accepted so that an author can say so.
    if (value !== 'warning' && value !== 'failure') return 'expected "warning"';
    if (value === 'warning') head.attrs.severity = 'warning';
    return undefined;
  },
  override: only('allowed', 'expected "allowed"', (head, override) => (head.attrs.override = override)),
  'after-failure': only(
    'stop',
    'the only supported value is "stop" (the step\'s later checks do not run when this one refuses)',
    (head, stop) => (head.attrs.afterFailure = stop),
  ),
  confirm: (value, head) => {
    head.attrs.confirm = isTruthy(value);
    return undefined;
  },
  connection: (value, head) => {
    if (value === true || value === '') return 'expected a connection name from the front matter';
    head.attrs.connection = value;
    return undefined;
  },
  cwd: (value, head) => {
    if (value === true || value === '') return 'expected a directory';
    head.attrs.cwd = value;
    return undefined;
  },
  excludeFromRunAll: notRun('excludeFromRunAll'),
  ignore: notRun('ignore'),
  hosts: (value, head) => {
    if (value === true || !HOST_PATTERN.test(value))
      return 'expected an Ansible host pattern such as computes, controllers:&ctl-* or computes:!cmp-1';
    head.fleet.hosts = value;
    return undefined;
  },
  batch: (value, head) => {
    const sizes = value === true ? [] : value.split(',').map((part) => parseHostCount(part.trim(), 1));
    if (sizes.length === 0 || sizes.some((size) => size === undefined))
      return 'expected batch sizes such as 1,5,25% (hosts, or a percentage of the hosts)';
    head.fleet.batches = sizes as HostCount[];
    return undefined;
  },
  'max-fail': (value, head) => {
    const budget = value === true ? undefined : parseHostCount(value, 0);
    if (budget === undefined) return 'expected a number of hosts or a percentage, such as 2 or 10%';
    head.fleet.maxFail = budget;
    return undefined;
  },
  forks: (value, head) => {
    const forks = nonNegativeInt(value);
    if (forks === undefined || forks < 1 || forks > 1000) return 'expected a number of parallel hosts from 1 to 1000';
    head.fleet.forks = forks;
    return undefined;
  },
  pause: only('confirm', 'the only supported value is "confirm"', (head, pause) => (head.fleet.pause = pause)),
  preflight: only(
    'skip',
    'the only supported value is "skip" (waymark preflight does not run this check early)',
    (head, skip) => (head.attrs.preflight = skip),
  ),
  deviation: (value, head) => {
    const rule = value === true ? undefined : parseDeviation(value);
    if (rule === undefined) return 'expected a factor such as 10x or 3, rows:±N (rows:+-N), both joined by a comma, or off';
    head.attrs.deviation = rule;
    return undefined;
  },
  approve: (value, head) => {
    const n = value === true ? 1 : nonNegativeInt(value);
    if (n === undefined || n < 1 || n > 9)
      return 'expected how many other operators must approve the block, 1 to 9 (e.g. approve=1 or approve=2)';
    head.attrs.approve = n;
    return undefined;
  },
  capture: (value, head) => {
    if (value === true || !CAPTURE_VALUE.test(value))
      return "expected a variable name such as MIGRATIONS, or NAME:rows for an sql block's rows";
    head.capture = value;
    return undefined;
  },
};

/** The parsers by key, in a Map: a key such as `constructor` must not find an object's own property. */
const PARSERS: ReadonlyMap<string, AttributeParser> = new Map(Object.entries(ATTRIBUTE_PARSERS));
const FLEET_KEY_SET: ReadonlySet<string> = new Set(FLEET_KEYS);

/**
 * Validate a block's language, words and attributes. Display-only languages keep other
 * tools' hints (e.g. `yaml title=x.yaml`) without complaint: only runnable blocks are strict.
 * Phases: the words (role, bare flags), each attribute through its parser, then the checks that
 * need the whole head (what expect= and capture= mean for the executor, where each key may be).
 */
export function interpretBlockHead(lang: string, words: string[], raw: RawAttribute[]): BlockHead {
  const problems: string[] = [];
  let executor: Executor | null = EXECUTORS[lang] ?? null;
  const strict = executor !== null;
  const role = readWords(lang, words, raw, strict, problems);
  const head: HeadDraft = { attrs: { confirm: false }, runme: NO_RUNME_KEYS, fleet: {}, ignored: false };
  const fleetKeys: string[] = [];
  for (const { key, value } of raw) {
    const parse = PARSERS.get(key);
    if (parse !== undefined) {
      if (FLEET_KEY_SET.has(key)) fleetKeys.push(key);
      const wrong = parse(value, head);
      if (wrong !== undefined) problems.push(`bad ${key} value "${value === true ? '' : value}": ${wrong}`);
    } else if (RUNME_KEYS.has(key) || !strict) keepRunme(head, key, value);
    else problems.push(`unknown attribute "${key}"${closest(key)}`);
  }
  if (head.ignored) executor = null;
  const finalRole: Role = role ?? (executor ? 'run' : 'example');
  if (finalRole === 'example') executor = null;
  const { attrs } = head;
  if (head.expect !== undefined && executor) readExpect(head.expect, executor, attrs, problems);
  readFleet(head.fleet, fleetKeys, attrs, problems);
  if (attrs.fleet && executor) fleetPlacement(executor, finalRole, attrs, problems);
  if (head.capture !== undefined && executor) {
    const capture = captureOf(head.capture, executor);
    if (typeof capture === 'string') problems.push(capture);
    else attrs.capture = capture;
    if (attrs.fleet)
      problems.push('capture= is not for fleet blocks: each host has its own output; capture from a block that runs once on this machine');
  }
  const sqlExpect = effectiveSqlExpectation({ executor, role: finalRole, given: attrs.sqlExpect });
  if (sqlExpect !== undefined) attrs.sqlExpect = sqlExpect;
  if (executor) placement(executor, finalRole, attrs, problems);
  const result: BlockHead = { executor, role: finalRole, attrs, runme: head.runme, problems };
  if (head.name !== undefined) result.name = head.name;
  return result;
}

/**
 * The words of the info string: the role, and known keys written as bare flags (`ignore`, or
 * `timeout` missing its value), which join `raw` as attributes.
 */
function readWords(lang: string, words: string[], raw: RawAttribute[], strict: boolean, problems: string[]): Role | undefined {
  let role: Role | undefined;
  for (const word of words) {
    const named = ROLE_OF.get(word);
    if (named !== undefined) {
      if (role && role !== named) problems.push(`two roles given: "${role}" and "${named}"`);
      role = named;
    } else if (word === 'confirm') {
      raw.push({ key: 'confirm', value: true });
    } else if (strict && (WAYMARK_KEY_SET.has(word) || RUNME_KEYS.has(word))) {
      raw.push({ key: word, value: true });
    } else if (strict) {
      problems.push(`unknown role or attribute "${word}"${closest(word)}; roles are ${ROLES.join(', ')}`);
    }
  }
  if (!strict && role && role !== 'example' && lang !== '') {
    problems.push(`role "${role}" on a "${lang}" block, which waymark does not run (runnable: sh, bash, shell, python, sql)`);
  }
  return role;
}

/** `expect=`: an sql expectation on an sql block, a regular expression on stdout otherwise. */
function readExpect(text: string, executor: Executor, attrs: BlockAttributes, problems: string[]): void {
  if (executor === 'sql') {
    const parsed = parseSqlExpect(text);
    if (!parsed) problems.push(`bad expect value "${text}" for sql: use empty, nonempty, rows:N or value:X`);
    else attrs.sqlExpect = parsed;
    return;
  }
  try {
    new RegExp(text, 'm');
    attrs.expect = text;
  } catch (error) {
    problems.push(`bad expect value "${text}": not a regular expression (${(error as Error).message})`);
  }
}

/** `hosts=` makes a fleet block; the other fleet keys (`given`, in order) mean nothing without it. */
function readFleet(fleet: Partial<FleetAttributes>, given: string[], attrs: BlockAttributes, problems: string[]): void {
  if (fleet.hosts !== undefined) {
    const { hosts, batches, ...rest } = fleet;
    attrs.fleet = { hosts, batches: batches ?? [], ...rest };
    return;
  }
  if (given.length === 0) return;
  for (const key of new Set(given))
    problems.push(`${key}= is only for fleet blocks: add hosts=PATTERN to run this block on an inventory's hosts`);
}

/** What a fleet block may not be or have. */
function fleetPlacement(executor: Executor, role: Role, attrs: BlockAttributes, problems: string[]): void {
  if (executor === 'sql') problems.push('hosts= is not for sql blocks: SQL runs from this machine; run it once without hosts=');
  if (role !== 'run' && role !== 'check' && role !== 'verify' && role !== 'rollback') problems.push(`hosts= is not for ${role} blocks`);
  if (attrs.retries !== undefined || attrs.rerunOnExit !== undefined)
    problems.push('retries= and rerun-on-exit= are not for fleet blocks yet: failed hosts are re-run with the block');
  if (attrs.cwd !== undefined) problems.push('cwd= is not for fleet blocks: the script runs on each host');
}

/** Keys that only mean something for some roles or executors. */
function placement(executor: Executor, role: Role, attrs: BlockAttributes, problems: string[]): void {
  if (role !== 'check' && attrs.severity) problems.push(`severity= is only for check blocks, not ${role}`);
  if (role !== 'check' && attrs.override) problems.push(`override= is only for check blocks, not ${role}`);
  if (role !== 'check' && attrs.preflight) problems.push(`preflight= is only for check blocks, not ${role}: preflight runs checks only`);
  if (role !== 'check' && attrs.afterFailure)
    problems.push(`after-failure= is only for check blocks, not ${role}: a failed ${role} block always stops its step`);
  if (role !== 'run' && role !== 'verify' && attrs.approve !== undefined)
    problems.push(`approve= is only for run and verify blocks, not ${role}: it holds a change until other operators approve it`);
  if (executor !== 'sql' && attrs.connection) problems.push('connection= is only for sql blocks');
  if (executor === 'sql' && attrs.exit !== undefined) problems.push('exit= is not for sql blocks: use expect=');
  if (executor === 'sql' && attrs.codes) problems.push('codes= is not for sql blocks');
  if (executor === 'sql' && attrs.rerunOnExit !== undefined) problems.push('rerun-on-exit= is not for sql blocks');
  if (role === 'run' && attrs.retries !== undefined && attrs.rerunOnExit === undefined) {
    problems.push(
      'retries= on a run block: run blocks are never retried automatically (they may not be safe to run twice); use it on a check or verify, or with rerun-on-exit=',
    );
  }
}
