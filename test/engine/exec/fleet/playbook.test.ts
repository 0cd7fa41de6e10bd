import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  extraVarsText,
  HOST_TAIL_BYTES,
  limitText,
  playbookText,
  unsafeString,
  type PlaybookInput,
} from '../../../../src/engine/exec/fleet/playbook.js';

/** The Python Ansible runs on (python3 on PATH may be another, without Ansible): from ansible-playbook's #! line. */
const ansiblePython = (): string => {
  const playbook = execFileSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).trim();
  return (readFileSync(playbook, 'utf8').split('\n')[0] ?? '').replace(/^#!\s*/, '').split(/\s+/)[0] ?? 'python3';
};

/** Load YAML with Ansible's own loader; every string says whether Ansible will treat it as unsafe (never templated). */
function ansibleLoad(text: string): unknown {
  const script = `
import json, sys
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.utils.unsafe_proxy import AnsibleUnsafe
def mark(value):
    if isinstance(value, dict):
        return {('unsafe:' if isinstance(k, AnsibleUnsafe) else 'safe:') + str(k): mark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mark(v) for v in value]
    if isinstance(value, str):
        return {'unsafe' if isinstance(value, AnsibleUnsafe) else 'safe': str(value)}
    return value
print(json.dumps(mark(AnsibleLoader(sys.stdin.read()).get_single_data())))
`;
  return JSON.parse(execFileSync(ansiblePython(), ['-c', script], { input: text, encoding: 'utf8' }));
}

const tricky = [
  '',
  'plain',
  "{{ lookup('pipe', 'touch /tmp/x') }}",
  '{% raw %}{% endraw %}{# c #}',
  'quote " and \\ backslash',
  'line\nbreak\r\nand\ttab',
  'é ✓ 😀 \u2028 \u2029 \u0085 \ufeff \u007f \u0001',
  "!unsafe 'x' *alias &anchor: - [a] {b}",
];

const input: PlaybookInput = {
  hosts: ['h1', 'cmp-{{ x }}'],
  batch: 2,
  argv: ['bash', '-e', '-c', 'echo "{{ nope }}"\n'],
  vars: { A: tricky[2] as string, 'B{{x}}': tricky[6] as string },
  noLog: true,
};

describe('unsafeString', () => {
  it.each(tricky)('Ansible reads %j back exactly, as unsafe', (text) => {
    expect(ansibleLoad(`v: ${unsafeString(text)}`)).toEqual({ 'safe:v': { unsafe: text } });
  });
});

describe('extraVarsText', () => {
  it('holds the command line, every variable (names too) and the batch, all unsafe', () => {
    expect(ansibleLoad(extraVarsText(input))).toEqual({
      'safe:waymark_argv': input.argv.map((word) => ({ unsafe: word })),
      'safe:waymark_env': { 'unsafe:A': { unsafe: input.vars.A }, 'unsafe:B{{x}}': { unsafe: input.vars['B{{x}}'] } },
      'safe:waymark_batch': { unsafe: '2' },
    });
  });

  it('writes an empty environment when there are no variables', () => {
    expect(ansibleLoad(extraVarsText({ ...input, vars: {} }))).toMatchObject({ 'safe:waymark_env': {} });
  });
});

describe('playbookText', () => {
  it('is one play over the batch hosts (unsafe), without facts or serial, one waymark_run task', () => {
    const play = ansibleLoad(playbookText(input)) as Array<Record<string, unknown>>;
    expect(play).toHaveLength(1);
    expect(play[0]).toEqual({
      'safe:name': { unsafe: 'waymark batch 2' },
      'safe:hosts': [{ unsafe: 'h1' }, { unsafe: 'cmp-{{ x }}' }],
      'safe:gather_facts': false,
      'safe:any_errors_fatal': false,
      'safe:strategy': { safe: 'linear' },
      'safe:tasks': [
        {
          'safe:name': { safe: 'waymark block' },
          'safe:waymark_run': {
            'safe:argv': { safe: '{{ waymark_argv }}' },
            'safe:env': { safe: '{{ waymark_env }}' },
            'safe:batch': { safe: '{{ waymark_batch }}' },
            'safe:tail_bytes': HOST_TAIL_BYTES,
          },
          'safe:no_log': true,
          'safe:ignore_errors': false,
          'safe:ignore_unreachable': false,
        },
      ],
    });
  });

  it('sets no_log only when asked', () => {
    expect(playbookText({ ...input, noLog: false })).toContain('no_log: false');
  });
});

describe('limitText', () => {
  it('is one host a line', () => {
    expect(limitText(['a', 'b'])).toBe('a\nb\n');
  });
});
