/**
 * Front matter `notify:` (docs/notify.md): the runbook's notifier is told of run events with the
 * event as JSON on stdin, here through curl to an HTTP receiver this test starts; a hanging or
 * failing notifier is killed or logged and shown, and never stops or slows the run.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-ntf-');
const T = 60_000;

interface Received {
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

let server: Server | null = null;

afterEach(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = null;
});

/** A local HTTP receiver, as an operator's webhook would be: it keeps every POSTed body. */
async function receiver(): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, headers: request.headers });
      response.end('ok\n');
    });
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  return { port: (server.address() as AddressInfo).port, received };
}

function book(notify: string, body: string): string {
  return `---
title: Notified upgrade
id: notified
vars:
  API_TOKEN:
    secret: true
${notify}
---
# Notified upgrade

${body}
`;
}

const PASSING = '## Migrate {#migrate}\n\n```sh name=migrate\necho migrated >> counter.txt\n```\n';
const FAILING = '## Migrate {#migrate}\n\n```sh name=migrate\necho "token $API_TOKEN refused" >&2\nexit 7\n```\n';

describe('notify', () => {
  it(
    'posts the run events as JSON to a real HTTP receiver through curl, secrets masked and absent from its environment',
    async () => {
      const { port, received } = await receiver();
      const file = ws().write(
        'notified.md',
        book(`notify: 'curl -sS --fail -H "X-Token: \${API_TOKEN:-none}" --data-binary @- http://127.0.0.1:${port}/'`, FAILING),
      );
      const failed = await ws().run(file, [], { API_TOKEN: 's3cr3t-token' });
      expect(failed.code, failed.all).toBe(1);
      // The notifier was delivered before waymark exited (close waits for notifiers in flight).
      const events = received.map((r) => r.body.event);
      expect(events).toContain('block-failed');
      const blockFailed = received.find((r) => r.body.event === 'block-failed');
      expect(blockFailed?.body).toMatchObject({
        runbook: 'Notified upgrade',
        step: 'migrate',
        block: 'migrate',
        run: ws().currentRun('notified'),
      });
      expect(typeof blockFailed?.body.operator).toBe('string');
      expect(Date.parse(String(blockFailed?.body.at))).not.toBeNaN();
      // The secret is not in what was sent, nor in the notifier's environment.
      expect(JSON.stringify(received)).not.toContain('s3cr3t-token');
      expect(blockFailed?.headers['x-token']).toBe('none');
      expect(failed.stderr).not.toContain('notify-failed');
      expect(readFileSync(join(ws().runDir('notified'), 'notify.log'), 'utf8')).toMatch(/block-failed sent \(exit 0\)/);
    },
    T,
  );

  it(
    'tells of run complete, and only of the events chosen',
    async () => {
      const { port, received } = await receiver();
      const file = ws().write(
        'notified.md',
        book(`notify:\n  command: curl -sS --fail --data-binary @- http://127.0.0.1:${port}/\n  events: [run-complete]`, PASSING),
      );
      const result = await ws().run(file);
      expect(result.code, result.all).toBe(0);
      expect(received.map((r) => r.body.event)).toEqual(['run-complete']);
      expect(received[0]?.body).toMatchObject({ runbook: 'Notified upgrade', run: ws().currentRun('notified'), step: null, block: null });
    },
    T,
  );

  it(
    'tells that the run waits for the operator when a block needs a confirmation headless cannot give',
    async () => {
      const { port, received } = await receiver();
      const confirm = '## Start {#start}\n\n```sh confirm name=start\necho started >> counter.txt\n```\n';
      const file = ws().write('notified.md', book(`notify: curl -sS --fail --data-binary @- http://127.0.0.1:${port}/`, confirm));
      const result = await ws().run(file);
      expect(result.code, result.all).toBe(4);
      expect(ws().lines('counter.txt')).toEqual([]);
      expect(received.map((r) => r.body.event)).toEqual(['waiting']);
    },
    T,
  );

  it(
    'tells of a gate refused, naming the check and why',
    async () => {
      const { port, received } = await receiver();
      const gate = '## Database up {#db-up}\n\n```sh check name=db-ping\necho "db down" >&2\nexit 1\n```\n';
      const file = ws().write('notified.md', book(`notify: curl -sS --fail --data-binary @- http://127.0.0.1:${port}/`, gate));
      const result = await ws().run(file);
      expect(result.code, result.all).not.toBe(0);
      const refused = received.find((r) => r.body.event === 'gate-refused');
      expect(refused?.body).toMatchObject({ step: 'db-up', block: 'db-ping' });
      expect(String(refused?.body.reason)).toContain('exit 1');
      expect(received.map((r) => r.body.event)).not.toContain('block-failed');
    },
    T,
  );

  it('tells of each finished batch of a fleet block, and of the wait at pause=confirm once (real ansible-playbook, local hosts)', async () => {
    const { port, received } = await receiver();
    ws().write('inventory.ini', ['[computes]', 'cmp-1 ansible_connection=local', 'cmp-2 ansible_connection=local', ''].join('\n'));
    const fleet = '## Computes {#computes}\n\n```sh name=upgrade hosts=computes batch=1 pause=confirm\necho "up on $WAYMARK_HOST"\n```\n';
    const file = ws().write(
      'notified.md',
      book(`inventory: inventory.ini\nnotify: curl -sS --fail --data-binary @- http://127.0.0.1:${port}/`, fleet),
    );
    const paused = await ws().run(file);
    expect(paused.code, paused.all).toBe(4);
    expect(received.map((r) => [r.body.event, r.body.reason])).toEqual([
      ['batch-finished', 'batch 1/2 of upgrade: 1 ok, 0 failed or unreachable'],
      ['waiting', null],
    ]);
    received.length = 0;
    const rest = await ws().run(file, ['--yes']);
    expect(rest.code, rest.all).toBe(0);
    expect(received.map((r) => r.body.event)).toEqual(['batch-finished', 'run-complete']);
    expect(received[0]?.body).toMatchObject({
      step: 'computes',
      block: 'upgrade',
      reason: 'batch 2/2 of upgrade: 1 ok, 0 failed or unreachable',
    });
  }, 120_000);

  it(
    'kills a hanging notifier at its timeout: the run finishes, the log and stderr say so',
    async () => {
      const file = ws().write('notified.md', book('notify:\n  command: sleep 59.25\n  timeout: 1s', PASSING));
      const result = await ws().run(file);
      expect(result.code, result.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['migrated']);
      // Ended by its 1 s timeout, not by sleep's own end: the run says so and no sleep is left.
      expect(result.stderr).toContain('notify-failed: run-complete: killed after its timeout of 1000ms');
      expect(readFileSync(join(ws().runDir('notified'), 'notify.log'), 'utf8')).toContain(
        'run-complete killed after its timeout of 1000ms',
      );
      // Killed, not left behind: no `sleep 59.25` outlives the run.
      expect(
        execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
          .split('\n')
          .filter((line) => line.startsWith('sleep 59.25')),
      ).toEqual([]);
    },
    T,
  );

  it(
    'logs and shows a failing notifier, and the run goes on',
    async () => {
      const file = ws().write('notified.md', book('notify: echo "hook said no" >&2; exit 3', PASSING));
      const result = await ws().run(file);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toMatch(/run \S+ complete/);
      expect(result.stderr).toContain('notify-failed: run-complete: exit 3');
      const log = readFileSync(join(ws().runDir('notified'), 'notify.log'), 'utf8');
      expect(log).toContain('run-complete exit 3');
      expect(log).toContain('| hook said no');
    },
    T,
  );

  it(
    'refuses a bad notify: value, naming the file and line, and runs nothing',
    async () => {
      const file = ws().write('notified.md', book('notify:\n  command: logger -t waymark\n  events: [run-finished]', PASSING));
      const result = await ws().run(file);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('notified.md:9');
      expect(result.stderr).toContain('unknown notify event "run-finished"');
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );
});
