/** Step headings: `## Stop nova-compute {#stop-compute optional tags=compute,dataplane}`. */
import { parseInfoString } from './info-string.js';

/** What a heading's trailing attribute block says about its step. */
export interface StepHead {
  title: string;
  id?: string;
  optional: boolean;
  tags: string[];
  extra: Record<string, string>;
  problems: string[];
}

/** Step attribute keys beyond `#id`, `optional` and `tags`; later features add theirs here. */
export const STEP_KEYS = new Set<string>([]);

const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Split a heading's text into its title and its attribute block, if it ends with one. */
export function parseStepHeading(text: string): StepHead {
  const head: StepHead = { title: text.trim(), optional: false, tags: [], extra: {}, problems: [] };
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
      head.problems.push(`unknown step attribute "${word}" (known: #id, optional, tags=a,b)`);
    }
  }
  for (const { key, value } of parsed.attributes) {
    if (key === 'tags') {
      head.tags = value === true ? [] : value.split(',').map((t) => t.trim()).filter(Boolean);
    } else if (key === 'optional') {
      head.optional = value === true || value === 'true';
    } else if (STEP_KEYS.has(key) && value !== true) {
      head.extra[key] = value;
    } else {
      head.problems.push(`unknown step attribute "${key}" (known: #id, optional, tags=a,b)`);
    }
  }
  return head;
}
