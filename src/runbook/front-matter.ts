/** YAML front matter: variables, profiles, connections, shell and default timeout (docs/runbook-format.md#front-matter). */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, YAMLMap } from 'yaml';
import type { Node as YamlNode, YAMLError } from 'yaml';
import { LARGE_FRONT_MATTER, releaseYoungGeneration } from './young-generation.js';
import { readPlainEntries } from './plain-yaml.js';
import type { ConnectionDecl, Diagnostic, VarDecl } from './model.js';
import { parseDuration } from './duration.js';
import { DEFAULT_NOTIFY_TIMEOUT_MS, NOTIFY_EVENTS, type NotifyDecl, type NotifyEventName } from './notify-decl.js';

/** The front matter's text and where it sits in the file. */
export interface FrontMatterSlice {
  /** YAML text between the `---` lines ('' when there is none). */
  yaml: string;
  /** 1-based file line of the first YAML line. */
  firstLine: number;
  /** How many lines of the file the front matter occupies, fences included. */
  lineCount: number;
  closed: boolean;
}

/** Everything the front matter declares, already checked. */
export interface FrontMatter {
  title?: string;
  id?: string;
  /** Line of the `id:` key, when the front matter declares one. */
  idLine?: number;
  vars: VarDecl[];
  profiles: Record<string, Record<string, string>>;
  connections: ConnectionDecl[];
  /** `inventory:` for fleet blocks, as written, and a profile's own `inventory:` by profile. */
  inventory?: { path: string; line: number };
  inventoryByProfile: Record<string, string>;
  shell?: string;
  timeoutMs?: number;
  includes: { path: string; line: number }[];
  service?: string;
  after: string[];
  /** `notify:`: the command run on chosen events (docs/notify.md). */
  notify?: NotifyDecl;
  diagnostics: Diagnostic[];
}

const KNOWN_KEYS = new Set([
  'include',
  'service',
  'after',
  'runme',
  'title',
  'id',
  'vars',
  'profiles',
  'connections',
  'inventory',
  'shell',
  'timeout',
  'notify',
  'description',
  'tags',
]);
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest front matter `id:`: it is a folder name, and file systems limit those. */
export const MAX_ID_LENGTH = 100;

/** A runbook id names a state folder as it is: no path separator, no leading dot, no shell surprise. */
function isRunbookId(text: string): boolean {
  return text.length <= MAX_ID_LENGTH && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(text);
}

/** Find front matter: a `---` first line, closed by a `---` or `...` line. */
export function sliceFrontMatter(source: string): FrontMatterSlice | undefined {
  if (!/^---[ \t]*\r?\n/.test(source)) return undefined;
  // Line by line from the top, not source.split('\n'): the front matter is a few lines of a file
  // that may be megabytes long.
  const yamlStart = source.indexOf('\n') + 1;
  let lineStart = yamlStart;
  for (let line = 1; ; line++) {
    const newline = source.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? source.length : newline;
    if (/^(---|\.\.\.)[ \t]*\r?$/.test(source.slice(lineStart, lineEnd))) {
      return { yaml: source.slice(yamlStart, Math.max(yamlStart, lineStart - 1)), firstLine: 2, lineCount: line + 1, closed: true };
    }
    if (newline === -1) return { yaml: source.slice(yamlStart), firstLine: 2, lineCount: line + 1, closed: false };
    lineStart = newline + 1;
  }
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return undefined;
}

/** The front matter as YAML: its root node and the library's errors, offsets in `yaml`'s own. */
interface ParsedYaml {
  root: unknown;
  errors: YAMLError[];
}

/**
 * The front matter's parse: with `plain`, what plain-yaml.ts takes of it is read there, and the
 * rest by the yaml library (nothing, for most front matters). Where the rest has an error, or is
 * not one pair for each of its top-level lines, all of it is parsed again whole, so that what is
 * found is the library's own for the whole text.
 */
function parseYaml(yaml: string, counter: LineCounter, plain: boolean): ParsedYaml {
  // The yaml library's own duplicate-key check compares each key with every earlier one (200,000
  // variables took minutes); duplicateKeys() does the same check with one Set per mapping.
  const options = { prettyErrors: false, uniqueKeys: false } as const;
  const split = plain ? readPlainEntries(yaml) : undefined;
  if (split) {
    // Every entry read here leaves at most comments and blank lines: nothing for the library.
    const rest = split.read.length === split.entries ? undefined : parseDocument(split.rest, options);
    const others = rest === undefined || rest.contents === null ? [] : isMap(rest.contents) ? [...rest.contents.items] : undefined;
    if ((rest === undefined || rest.errors.length === 0) && others?.length === split.entries - split.read.length) {
      // The rest's nodes, moved to the front matter's offsets.
      if (rest)
        visit(rest, (_, node) => {
          const range = (node as YamlNode | null)?.range;
          if (range) (node as YamlNode).range = [split.restOffset(range[0]), split.restOffset(range[1]), split.restOffset(range[2])];
        });
      const root = new YAMLMap();
      for (let index = 0; index < split.entries; index++) {
        const read = split.read.find((entry) => entry.index === index);
        const pair = read ? read.pair : others.shift();
        if (pair) root.items.push(pair);
      }
      // Line starts for lineOf, as the library's parser would have reported them.
      counter.addNewLine(0);
      for (let at = yaml.indexOf('\n'); at !== -1; at = yaml.indexOf('\n', at + 1)) counter.addNewLine(at + 1);
      return { root, errors: [] };
    }
  }
  const doc = parseDocument(yaml, { ...options, lineCounter: counter });
  return { root: doc.contents, errors: doc.errors };
}

/**
 * Parse and check front matter YAML; problems become diagnostics with file lines. `plain` reads what
 * plain-yaml.ts takes without the yaml library (tests set it false to have the library read all).
 */
export function parseFrontMatter(slice: FrontMatterSlice, file: string, plain = true): FrontMatter {
  const result: FrontMatter = { vars: [], profiles: {}, connections: [], inventoryByProfile: {}, includes: [], after: [], diagnostics: [] };
  const counter = new LineCounter();
  // YAML allocates far more per character than the body's scanner: a large front matter is parsed
  // with V8's young generation let grow, as lint otherwise holds it (young-generation.ts).
  if (slice.yaml.length > LARGE_FRONT_MATTER) releaseYoungGeneration();
  const doc = parseYaml(slice.yaml, counter, plain);
  const lineOf = (node: unknown): number => {
    const range = (node as YamlNode | undefined)?.range;
    return slice.firstLine - 1 + (range ? counter.linePos(range[0]).line : 1);
  };
  const report = (line: number, message: string, severity: Diagnostic['severity'] = 'error', rule = 'front-matter') =>
    result.diagnostics.push({ file, line, severity, rule, message });

  if (!slice.closed) report(1, 'front matter starts with "---" but has no closing "---" line');
  for (const error of doc.errors) {
    // Without prettyErrors the yaml library leaves linePos unset: take the line from the offset.
    // The library catches its own stack overflow (flow collections nested thousands deep) as this code.
    const firstLine =
      error.code === 'RESOURCE_EXHAUSTION' ? 'nested too deeply to read; flatten it' : (error.message.split('\n')[0] ?? error.message);
    report(slice.firstLine - 1 + counter.linePos(error.pos[0]).line, `invalid YAML front matter: ${firstLine}`, 'error', 'yaml');
  }
  const duplicates = doc.errors.length > 0 ? [] : duplicateKeys(doc.root);
  for (const key of duplicates) report(lineOf(key), 'invalid YAML front matter: Map keys must be unique', 'error', 'yaml');
  if (doc.errors.length > 0 || duplicates.length > 0) return result;
  const root = doc.root;
  if (root === null) return result;
  if (!isMap(root)) {
    report(slice.firstLine, 'front matter must be a YAML mapping (key: value lines)');
    return result;
  }
  const profileEntries: ProfileEntry[] = [];
  for (const pair of root.items) {
    const key = scalarText(pair.key) ?? '';
    const line = lineOf(pair.key);
    const value = pair.value;
    switch (key) {
      case 'title':
      case 'id':
      case 'shell': {
        const text = scalarText(value);
        if (text === undefined) report(line, `${key} must be a single value`);
        else if (key === 'id' && !isRunbookId(text)) {
          report(
            line,
            `id "${text}" must start with a letter or digit and use only letters, digits, ".", "_" or "-", at most ${MAX_ID_LENGTH} characters (it names the run's state folder)`,
          );
        } else {
          result[key] = text;
          if (key === 'id') result.idLine = line;
        }
        break;
      }
      case 'include':
      case 'after': {
        const items = isSeq(value) ? value.items : [value];
        for (const item of items) {
          const text = scalarText(item);
          if (text === undefined || text === '')
            report(lineOf(item ?? pair.key), `${key} must be a ${key === 'include' ? 'file path' : 'service name'} or a list of them`);
          else if (key === 'include') result.includes.push({ path: text, line: lineOf(item) });
          else result.after.push(text);
        }
        break;
      }
      case 'inventory': {
        const text = scalarText(value);
        if (text === undefined || text.trim() === '')
          report(line, 'inventory must be the path of an Ansible inventory file (relative to the runbook)');
        else result.inventory = { path: text, line };
        break;
      }
      case 'service': {
        const text = scalarText(value);
        if (text === undefined || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(text))
          report(line, 'service must be a name such as nova or cinder-volume');
        else result.service = text;
        break;
      }
      case 'timeout': {
        const text = scalarText(value);
        const ms = text === undefined ? undefined : parseDuration(text);
        if (ms === undefined || ms <= 0) report(line, `bad timeout "${text ?? ''}": expected a duration such as 30s, 10m or 1h`);
        else result.timeoutMs = ms;
        break;
      }
      case 'notify': {
        const decl = readNotify(value, line, lineOf, report);
        if (decl) result.notify = decl;
        break;
      }
      case 'vars':
        if (isMap(value)) readVars(value, result, lineOf, report);
        else if (value !== null) report(line, 'vars must be a mapping of NAME: default or NAME: {default, description, ...}');
        break;
      case 'profiles':
        if (isMap(value)) readProfiles(value, result, lineOf, report, profileEntries);
        else if (value !== null) report(line, 'profiles must be a mapping of profile name to variable values');
        break;
      case 'connections':
        if (isMap(value)) readConnections(value, result, lineOf, report, file);
        else if (value !== null) report(line, 'connections must be a mapping of name to mysql:// URL');
        break;
      default:
        if (!KNOWN_KEYS.has(key)) report(line, `unknown front matter key "${key}"`, 'warning', 'unknown-key');
    }
  }
  checkProfiles(profileEntries, result.vars, report);
  return result;
}

/**
 * Keys that repeat an earlier key of the same mapping (YAML forbids it), in linear time: scalar keys
 * compare by value, as the yaml library compares them, other keys by identity. A walk of its own,
 * in the order of the library's `visit` (a mapping's own keys, then what its keys and values hold):
 * the generic visitor showed as ≈ 1 ms in a profile of a cold corpus lint, but replacing it changed
 * nothing an A/B could see (bench/RESULTS.md); the walk is kept because it is the plainer of the
 * two, and test/runbook/plain-yaml.test.ts checks it against the library's own uniqueKeys.
 */
function duplicateKeys(root: unknown): unknown[] {
  const found: unknown[] = [];
  const walk = (node: unknown): void => {
    if (isSeq(node)) {
      for (const item of node.items) walk(item);
      return;
    }
    if (!isMap(node)) return;
    const seen = new Set<unknown>();
    for (const { key } of node.items) {
      const value = isScalar(key) ? key.value : key;
      if (seen.has(value)) found.push(key);
      else seen.add(value);
    }
    for (const pair of node.items) {
      walk(pair.key);
      walk(pair.value);
    }
  };
  walk(root);
  return found;
}

type LineOf = (node: unknown) => number;
type Report = (line: number, message: string, severity?: Diagnostic['severity'], rule?: string) => void;

function readVars(map: YAMLMap, result: FrontMatter, lineOf: LineOf, report: Report): void {
  for (const pair of map.items) {
    const name = scalarText(pair.key) ?? '';
    const line = lineOf(pair.key);
    if (!VAR_NAME.test(name)) {
      report(line, `variable name "${name}" must be letters, digits and "_", not starting with a digit`);
      continue;
    }
    const decl: VarDecl = { name, line, secret: false, required: false };
    const value = pair.value;
    if (isMap(value)) {
      for (const field of value.items) {
        const fieldName = scalarText(field.key) ?? '';
        const fieldLine = lineOf(field.key);
        const text = scalarText(field.value);
        switch (fieldName) {
          case 'default':
            if (text !== undefined) decl.default = text;
            break;
          case 'description':
            if (text !== undefined) decl.description = text;
            break;
          case 'env':
            if (text === undefined || !VAR_NAME.test(text)) report(fieldLine, `env of ${name} must name an environment variable`);
            else decl.env = text;
            break;
          case 'secret':
          case 'required':
            if (text !== 'true' && text !== 'false') report(fieldLine, `${fieldName} of ${name} must be true or false`);
            else decl[fieldName] = text === 'true';
            break;
          case 'choices':
            if (!isSeq(field.value)) report(fieldLine, `choices of ${name} must be a list, e.g. [kilo, liberty, mitaka]`);
            else decl.choices = field.value.items.map((item) => scalarText(item) ?? '');
            break;
          default:
            report(fieldLine, `unknown field "${fieldName}" for variable ${name} (default, description, choices, secret, required, env)`);
        }
      }
    } else if (isSeq(value)) {
      report(line, `variable ${name} must be a value or a mapping, not a list`);
      continue;
    } else {
      const text = scalarText(value);
      if (text !== undefined) decl.default = text;
    }
    if (decl.choices && decl.default !== undefined && !decl.choices.includes(decl.default)) {
      report(line, `default "${decl.default}" of ${name} is not one of its choices: ${decl.choices.join(', ')}`);
    }
    result.vars.push(decl);
  }
}

function readProfiles(map: YAMLMap, result: FrontMatter, lineOf: LineOf, report: Report, entryLines: ProfileEntry[]): void {
  for (const pair of map.items) {
    const profile = scalarText(pair.key) ?? '';
    if (!isMap(pair.value)) {
      if (pair.value !== null) report(lineOf(pair.key), `profile ${profile} must be a mapping of variable values`);
      result.profiles[profile] = {};
      continue;
    }
    const values: Record<string, string> = {};
    for (const entry of pair.value.items) {
      const name = scalarText(entry.key) ?? '';
      const text = scalarText(entry.value);
      if (text === undefined) report(lineOf(entry.key), `profile ${profile}: ${name} must be a single value`);
      // A profile's `inventory:` names where its fleet is, as a connection URL would: not a variable.
      else if (name === 'inventory') result.inventoryByProfile[profile] = text;
      else values[name] = text;
    }
    result.profiles[profile] = values;
    for (const entry of pair.value.items) {
      const name = scalarText(entry.key) ?? '';
      if (values[name] !== undefined && name !== 'inventory')
        entryLines.push({ profile, name, value: values[name], line: lineOf(entry.key) });
    }
  }
}

/** A profile entry with its line, checked against the declared vars once all of the front matter is read. */
interface ProfileEntry {
  profile: string;
  name: string;
  value: string;
  line: number;
}

function checkProfiles(entries: ProfileEntry[], vars: VarDecl[], report: Report): void {
  const declared = new Map(vars.map((v) => [v.name, v]));
  for (const entry of entries) {
    const decl = declared.get(entry.name);
    if (!decl) report(entry.line, `profile ${entry.profile} sets ${entry.name}, which is not declared under vars`);
    else if (decl.choices && !decl.choices.includes(entry.value)) {
      report(
        entry.line,
        `profile ${entry.profile} sets ${entry.name} to "${entry.value}", not one of its choices: ${decl.choices.join(', ')}`,
      );
    }
  }
}

function readConnections(map: YAMLMap, result: FrontMatter, lineOf: LineOf, report: Report, file: string): void {
  for (const pair of map.items) {
    const name = scalarText(pair.key) ?? '';
    const line = lineOf(pair.key);
    const value = pair.value;
    if (isMap(value)) {
      const url = scalarText(value.get('url', true));
      if (url === undefined) {
        report(line, `connection ${name} needs a url: mysql://user@host/database`);
        continue;
      }
      const decl: ConnectionDecl = { name, line, url, file };
      const password = scalarText(value.get('password', true));
      if (password !== undefined) decl.password = password;
      for (const field of value.items) {
        const fieldName = scalarText(field.key) ?? '';
        if (fieldName !== 'url' && fieldName !== 'password') {
          report(lineOf(field.key), `unknown field "${fieldName}" for connection ${name} (url, password)`);
        }
      }
      result.connections.push(decl);
    } else {
      const url = scalarText(value);
      if (url === undefined) report(line, `connection ${name} must be a mysql:// URL or {url, password}`);
      else result.connections.push({ name, line, url, file });
    }
  }
}

/** `notify: COMMAND` or `notify: {command, timeout, events}`; every event when `events` is left out. */
function readNotify(value: unknown, line: number, lineOf: LineOf, report: Report): NotifyDecl | undefined {
  const usage = 'notify must be a command, or a mapping {command, timeout, events}';
  const text = scalarText(value);
  if (text !== undefined) {
    if (text.trim() === '') report(line, usage);
    else return { command: text, timeoutMs: DEFAULT_NOTIFY_TIMEOUT_MS, events: [...NOTIFY_EVENTS], line };
    return undefined;
  }
  if (!isMap(value)) {
    report(line, usage);
    return undefined;
  }
  const decl: NotifyDecl = { command: '', timeoutMs: DEFAULT_NOTIFY_TIMEOUT_MS, events: [...NOTIFY_EVENTS], line };
  let ok = true;
  for (const field of value.items) {
    const name = scalarText(field.key) ?? '';
    const fieldLine = lineOf(field.key);
    switch (name) {
      case 'command': {
        const command = scalarText(field.value);
        if (command === undefined || command.trim() === '') {
          report(fieldLine, 'notify command must be a shell command, e.g. curl -sS --data-binary @- https://chat.example/hook');
          ok = false;
        } else decl.command = command;
        break;
      }
      case 'timeout': {
        const raw = scalarText(field.value);
        const ms = raw === undefined ? undefined : parseDuration(raw);
        if (ms === undefined || ms <= 0) {
          report(fieldLine, `bad notify timeout "${raw ?? ''}": expected a duration such as 5s or 1m`);
          ok = false;
        } else decl.timeoutMs = ms;
        break;
      }
      case 'events': {
        const items = isSeq(field.value) ? field.value.items : [field.value];
        const events: NotifyEventName[] = [];
        for (const item of items) {
          const event = scalarText(item) ?? '';
          if ((NOTIFY_EVENTS as readonly string[]).includes(event)) events.push(event as NotifyEventName);
          else {
            report(lineOf(item ?? field.key), `unknown notify event "${event}" (${NOTIFY_EVENTS.join(', ')})`);
            ok = false;
          }
        }
        decl.events = events;
        break;
      }
      default:
        report(fieldLine, `unknown field "${name}" for notify (command, timeout, events)`);
        ok = false;
    }
  }
  if (decl.command === '' && ok) {
    report(line, 'notify needs a command');
    ok = false;
  }
  return ok ? decl : undefined;
}
