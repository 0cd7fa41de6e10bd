/**
 * The generated one-play playbook for a batch, and its extra-vars file. Everything that comes from
 * the runbook, its variables or the inventory is written as a YAML string tagged `!unsafe`, so Ansible
 * never templates it: `{{ … }}` and `{% … %}` in a value, the script or a host name stay data.
 */

/** Bytes of each of a host's stdout and stderr that the module sends back (the last ones). */
export const HOST_TAIL_BYTES = 64 * 1024;

/** What one batch runs, as the playbook and its extra vars carry it. */
export interface PlaybookInput {
  hosts: string[];
  batch: number;
  /** The script's command line on each host, e.g. `['bash', '-e', '-o', 'pipefail', '-c', code]`. */
  argv: string[];
  /** The block's variables, for the script's environment. */
  vars: Record<string, string>;
  /** `no_log` on the task: Ansible censors the results it logs or shows. */
  noLog: boolean;
}

/**
 * A YAML double-quoted scalar tagged `!unsafe` holding exactly `text`. Only printable ASCII is written
 * as is: every other character is an escape, so no YAML line folding (U+2028, NEL) or reader check
 * (non-printable characters) can change or refuse a value.
 */
export function unsafeString(text: string): string {
  let out = '!unsafe "';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code >= 0xd800 && code <= 0xdfff)
      out += '\\uFFFD'; // a lone surrogate: no UTF-8 text can hold it
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * The play: the batch's hosts, no facts, no `serial` (waymark plans the batches), one task with the
 * waymark_run action. A failed or unreachable host never stops the others (`any_errors_fatal: false`);
 * a non-zero rc is a failed result with its rc.
 */
export function playbookText(input: PlaybookInput): string {
  return [
    `- name: ${unsafeString(`waymark batch ${input.batch}`)}`,
    `  hosts: [${input.hosts.map(unsafeString).join(', ')}]`,
    '  gather_facts: false',
    '  any_errors_fatal: false',
    '  strategy: linear',
    '  tasks:',
    '    - name: waymark block',
    '      waymark_run:',
    // Single-variable expressions: Ansible hands over the extra vars' own (unsafe) values, untemplated.
    "        argv: '{{ waymark_argv }}'",
    "        env: '{{ waymark_env }}'",
    "        batch: '{{ waymark_batch }}'",
    `        tail_bytes: ${HOST_TAIL_BYTES}`,
    `      no_log: ${input.noLog ? 'true' : 'false'}`,
    '      ignore_errors: false',
    '      ignore_unreachable: false',
    '',
  ].join('\n');
}

/** The extra-vars file (`-e @FILE`, written 0600): the script's command line, its variables, the batch. */
export function extraVarsText(input: PlaybookInput): string {
  const env = Object.entries(input.vars).map(([name, value]) => `  ${unsafeString(name)}: ${unsafeString(value)}`);
  return [
    `waymark_argv: [${input.argv.map(unsafeString).join(', ')}]`,
    env.length === 0 ? 'waymark_env: {}' : 'waymark_env:',
    ...env,
    `waymark_batch: ${unsafeString(String(input.batch))}`,
    '',
  ].join('\n');
}

/** The `--limit @FILE` file: one host a line. */
export function limitText(hosts: string[]): string {
  return `${hosts.join('\n')}\n`;
}
