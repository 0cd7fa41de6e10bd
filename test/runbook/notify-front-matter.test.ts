/** Front matter `notify:` (docs/notify.md): both forms read, and every bad value a lint error on its line. */
import { describe, expect, it } from 'vitest';
import { doc, lint, parse } from './helpers.js';

const BODY = ['# Upgrade', '', '## Only {#only}', '', '```sh name=only', 'true', '```'];

describe('notify in the front matter', () => {
  it('reads the short form: every event, the 5 s default timeout', () => {
    const runbook = parse(doc('---', 'notify: logger -t waymark', '---', ...BODY));
    expect(runbook.notify).toEqual({
      command: 'logger -t waymark',
      timeoutMs: 5_000,
      events: ['gate-refused', 'block-failed', 'waiting', 'batch-finished', 'run-complete'],
      line: 2,
    });
  });

  it('reads the mapping form with its timeout and events', () => {
    const runbook = parse(
      doc(
        '---',
        'notify:',
        '  command: curl -sS --data-binary @- http://hooks.example/',
        '  timeout: 10s',
        '  events: [gate-refused, run-complete]',
        '---',
        ...BODY,
      ),
    );
    expect(runbook.notify).toMatchObject({
      command: 'curl -sS --data-binary @- http://hooks.example/',
      timeoutMs: 10_000,
      events: ['gate-refused', 'run-complete'],
    });
  });

  it('refuses bad values, each on its own line', () => {
    const source = doc(
      '---', //                   1
      'notify:', //               2
      '  timeout: soon', //       3
      '  events:', //             4
      '    - run-finished', //    5
      '  retries: 3', //          6
      '---',
      ...BODY,
    );
    const found = lint(source)
      .filter((d) => d.severity === 'error')
      .map((d) => `${d.line} ${d.message}`);
    expect(found).toEqual([
      '3 bad notify timeout "soon": expected a duration such as 5s or 1m',
      '5 unknown notify event "run-finished" (gate-refused, block-failed, waiting, batch-finished, run-complete)',
      '6 unknown field "retries" for notify (command, timeout, events)',
    ]);
    expect(parse(source).notify).toBeUndefined();
    expect(lint(doc('---', 'notify:', '  timeout: 5s', '---', ...BODY)).map((d) => `${d.line} ${d.message}`)).toContain(
      '2 notify needs a command',
    );
    expect(lint(doc('---', 'notify: [curl]', '---', ...BODY)).map((d) => `${d.line} ${d.message}`)).toContain(
      '2 notify must be a command, or a mapping {command, timeout, events}',
    );
  });
});
