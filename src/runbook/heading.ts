/** Step headings: `## Stop nova-compute {#stop-compute optional tags=compute,dataplane}`. */
import { slug } from 'github-slugger';
import { parseInfoString } from './info-string.js';

/** What a heading's trailing attribute block says about its step. */
export interface StepHead {
  title: string;
  id?: string;
  optional: boolean;
  tags: string[];
  extra: Readonly<Record<string, string>>;
  phase?: number;
  needs: string[];
  /** Steps whose refused gate this step remedies (`fixes=charset`). */
  fixes: string[];
  foreach?: { name: string; values: string[] };
  problems: string[];
}

/** Step attribute keys beyond `#id`, `optional` and `tags` that are kept as they are. */
export const STEP_KEYS = new Set<string>([]);

const KNOWN = '#id, optional, tags=a,b, phase=N, needs=TAG, fixes=STEP, foreach=NAME:v1,v2';

const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The `extra` of a heading without extra keys, shared by all of them (a large runbook's steps
 * each kept an empty object); frozen, so that a write meant for one step fails rather than reaching all.
 */
const NO_EXTRA: Readonly<Record<string, string>> = Object.freeze({});

/**
 * `a,b, ,c` as ['a', 'b', 'c']. Without empty items the array is split's own, of its exact
 * length: filter's result has room for 17, and a large runbook's steps keep thousands of these.
 */
function commaList(value: string | true): string[] {
  if (value === true) return [];
  const items = value.split(',').map((item) => item.trim());
  return items.includes('') ? items.filter(Boolean) : items;
}

/** Split a heading's text into its title and its attribute block, if it ends with one. */
export function parseStepHeading(text: string): StepHead {
  const head: StepHead = { title: text.trim(), optional: false, tags: [], extra: NO_EXTRA, needs: [], fixes: [], problems: [] };
  const match = /\s*\{([^{}]*)\}\s*$/.exec(text);
  if (!match) return head;
  head.title = text.slice(0, match.index).trim();
  if (head.title === '') head.problems.push('step heading has attributes but no title');
  const parsed = parseInfoString(`- ${match[1] ?? ''}`);
  head.problems.push(...parsed.problems);
  for (const word of parsed.words) {
    if (word.startsWith('#')) {
      const id = word.slice(1);
      if (!STEP_ID.test(id)) head.problems.push(`bad step id "${word}": use letters, digits, ".", "_" or "-"`);
      else head.id = id;
    } else if (word === 'optional') {
      head.optional = true;
    } else {
      head.problems.push(`unknown step attribute "${word}" (known: ${KNOWN})`);
    }
  }
  for (const { key, value } of parsed.attributes) {
    if (key === 'tags') {
      head.tags = commaList(value);
    } else if (key === 'optional') {
      head.optional = value === true || value === 'true';
    } else if (key === 'phase') {
      if (value === true || !/^\d+$/.test(value))
        head.problems.push(`bad phase "${value === true ? '' : value}": expected a whole number, e.g. phase=2`);
      else head.phase = Number(value);
    } else if (key === 'needs') {
      head.needs = commaList(value);
      if (head.needs.length === 0) head.problems.push('needs= expects one or more tags, e.g. needs=controlplane');
    } else if (key === 'fixes') {
      head.fixes = commaList(value);
      if (head.fixes.length === 0)
        head.problems.push('fixes= expects the id of the step whose check this step remedies, e.g. fixes=charset');
    } else if (key === 'foreach') {
      const match = value === true ? null : /^([A-Za-z_][A-Za-z0-9_]*):(.+)$/.exec(value);
      const values = match ? commaList(match[2] as string) : [];
      if (!match || values.length === 0)
        head.problems.push(
          `bad foreach "${value === true ? '' : value}": expected NAME:value1,value2, e.g. foreach=RELEASE:kilo,liberty,mitaka`,
        );
      else if (new Set(values).size !== values.length) head.problems.push(`foreach ${match[1]} lists a value twice`);
      else {
        // Each value's step id ends with the value's slug; two values with one slug would share a step.
        const suffixes = values.map((v) => slug(v) || 'value');
        const clash = suffixes.findIndex((suffix, i) => suffixes.indexOf(suffix) !== i);
        if (clash !== -1) {
          const first = values[suffixes.indexOf(suffixes[clash] as string)] as string;
          head.problems.push(
            `foreach ${match[1]}: values "${first}" and "${values[clash]}" would give both steps the id suffix -${suffixes[clash]} (the suffix keeps only letters, digits, - and _)`,
          );
        } else head.foreach = { name: match[1] as string, values };
      }
    } else if (STEP_KEYS.has(key) && value !== true) {
      head.extra = { ...head.extra, [key]: value };
    } else {
      head.problems.push(`unknown step attribute "${key}" (known: ${KNOWN})`);
    }
  }
  return head;
}
