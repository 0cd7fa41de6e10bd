/**
 * `waymark evidence` against the real binary: a finished run's bundle is verified, two bundles of
 * it are the same bytes, no secret is in it in clear, and every kind of tampering is rejected,
 * naming the file: a listed file altered, a file altered with its manifest line rewritten to match
 * (only the audit chain catches it), a trail rewritten whole (only the key's MACs catch it), a
 * file added or taken away.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/state/audit.js';
import { manifestOf, MANIFEST, unpackBundle, type BundleFile } from '../../src/state/evidence-bundle.js';
import { writeUstar } from '../../src/state/ustar.js';
import { execa } from 'execa';
import { waitFor } from '../support/wait.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-ev-');
const T = 60_000;

const BOOK = [
  '---',
  'title: Evidence of a change',
  'id: change',
  'vars:',
  '  PW: { secret: true, required: true, env: WM_TEST_EV_PW }',
  '  SITE: { default: lab }',
  '---',
  '# Evidence of a change',
  '',
  '## Connect {#connect}',
  '',
  '```sh name=connect',
  'echo "connecting to $SITE with password $PW"',
  '```',
  '',
  '## Check it {#check}',
  '',
  '```sh check name=check',
  'echo "site $SITE answers"',
  '```',
  '',
].join('\n');

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A finished run of BOOK with `secret`, and its bundle at `name`. */
async function bundledRun(secret: string, name = 'a.tar.gz'): Promise<{ book: string; bundle: string }> {
  const book = ws().write('change.md', BOOK);
  const run = await ws().run(book, [], { WM_TEST_EV_PW: secret });
  expect(run.code, run.all).toBe(0);
  const bundle = ws().path(name);
  const made = await ws().waymark(['evidence', book, '--out', bundle]);
  expect(made.code, made.all).toBe(0);
  return { book, bundle };
}

/** Write a bundle of `files` (SHA256SUMS among them, as given) the way waymark lays one out. */
function repack(path: string, folder: string, files: BundleFile[]): void {
  writeFileSync(
    path,
    gzipSync(
      writeUstar(
        files.map((f) => ({ name: `${folder}/${f.path}`, data: f.data })),
        { mtime: 0, mode: 0o600 },
      ),
    ),
  );
}

function edit(files: BundleFile[], path: string, change: (text: string) => string): BundleFile[] {
  expect(
    files.some((f) => f.path === path),
    `${path} in the bundle`,
  ).toBe(true);
  return files.map((f) => (f.path === path ? { path, data: Buffer.from(change(f.data.toString('utf8'))) } : f));
}

/** The files with SHA256SUMS rewritten to match them: the tampering a careful forger does. */
function withFreshManifest(files: BundleFile[]): BundleFile[] {
  const others = files.filter((f) => f.path !== MANIFEST);
  return [{ path: MANIFEST, data: Buffer.from(manifestOf(others)) }, ...others];
}

describe('waymark evidence', () => {
  it(
    'bundles a finished run with SHA256SUMS, verifies it, and gives the same bytes twice, with the secret nowhere in clear',
    async () => {
      const secret = `ev-${randomBytes(12).toString('hex')}`;
      const { book, bundle } = await bundledRun(secret);
      const again = ws().path('b.tar.gz');
      // Reading the run in between (report, audit) must not change the next bundle.
      expect((await ws().waymark(['report', book])).code).toBe(0);
      expect((await ws().waymark(['evidence', book, '--out', again])).code).toBe(0);
      expect(readFileSync(again).equals(readFileSync(bundle))).toBe(true);

      const { folder, files } = unpackBundle(readFileSync(bundle));
      expect(folder).toBe(`evidence-${ws().currentRun('change')}`);
      expect(files.map((f) => f.path)).toEqual([
        'SHA256SUMS',
        'audit-head.txt',
        'audit.jsonl',
        'logs/check.1.log',
        'logs/connect.1.log',
        'report.json',
        'report.junit.xml',
        'report.md',
        'runbook/change.md',
      ]);
      const file = (path: string) => (files.find((f) => f.path === path) as BundleFile).data;
      expect(file('runbook/change.md').toString()).toBe(BOOK);
      expect(file('logs/connect.1.log').toString()).toContain('with password ••••');
      expect(file('audit.jsonl').equals(readFileSync(join(ws().runDir('change'), 'audit.jsonl')))).toBe(true);
      const trail = ws().audit('change');
      expect(file('audit-head.txt').toString()).toMatch(
        new RegExp(
          `^waymark audit run=\\S+ head=${trail.length}:${sha(
            readFileSync(join(ws().runDir('change'), 'audit.jsonl'), 'utf8')
              .trimEnd()
              .split('\n')
              .at(-1) as string,
          )} key=[0-9a-f]{16}\n$`,
        ),
      );
      expect(file('SHA256SUMS').toString()).toContain(`${sha(file('report.md'))}  report.md\n`);
      // No byte of the archive (uncompressed) holds the secret or a piece of it.
      const tar = gunzipSync(readFileSync(bundle)).toString('latin1');
      for (let i = 0; i + 8 <= secret.length; i += 1) expect(tar.includes(secret.slice(i, i + 8))).toBe(false);
      // GNU tar reads it: uid/gid 0, mode 0600, and the run's start as every file's time.
      const listing = (await execa('tar', ['-tvzf', bundle, '--numeric-owner', '--full-time'], { env: { TZ: 'UTC' } })).stdout.split('\n');
      expect(listing).toHaveLength(9);
      const started = (ws().checkpoint('change') as unknown as { startedAt: string }).startedAt;
      for (const line of listing)
        expect(line).toMatch(new RegExp(`^-rw------- 0/0 +\\d+ ${started.slice(0, 10)} ${started.slice(11, 19)} ${folder}/`));

      const verified = await ws().waymark(['evidence', '--verify', bundle]);
      expect(verified.code, verified.all).toBe(0);
      expect(verified.stdout).toContain('manifest: 8 files, each matches SHA256SUMS; none missing, none extra');
      expect(verified.stdout).toContain(`audit trail: ${trail.length} records, chain intact`);
      expect(verified.stdout).toMatch(/authenticated: every record's MAC verifies with audit key [0-9a-f]{16}/);
      // Evidence only reads: the trail did not grow.
      expect(ws().audit('change')).toHaveLength(trail.length);
      expect(verified.stdout).toContain('is intact and authenticated:');
      // Without the key, it says what it checked and what it could not, and exits 2 (as audit --verify
      // does without the key), so a script tells "authenticated" from "intact, not authenticated".
      const elsewhere = await ws().waymark(['evidence', '--verify', bundle], { XDG_CONFIG_HOME: ws().path('no-key-here') });
      expect(elsewhere.code, elsewhere.all).toBe(2);
      expect(elsewhere.stdout).toContain('is intact, but NOT authenticated here:');
      expect(elsewhere.stdout).toContain('manifest: 8 files, each matches SHA256SUMS; none missing, none extra');
      expect(elsewhere.stdout).toContain(`audit trail: ${trail.length} records, chain intact`);
      expect(elsewhere.stdout).toContain('NOT authenticated: the trail is keyed with key');
      expect(elsewhere.stdout).toContain('there is no audit key on this machine; the MACs were not checked');
      const auditElsewhere = await ws().waymark(['audit', book, '--verify'], { XDG_CONFIG_HOME: ws().path('no-key-here') });
      expect(auditElsewhere.code, auditElsewhere.all).toBe(2);
    },
    T,
  );

  it(
    'rejects a tampered bundle (exit 1), naming the file: altered, altered with its manifest, rewritten whole, extra or missing',
    async () => {
      const { bundle } = await bundledRun('pw-0123456789');
      const { folder, files } = unpackBundle(readFileSync(bundle));
      const tampered = ws().path('t.tar.gz');
      const verify = async () => ws().waymark(['evidence', '--verify', tampered]);

      // A file listed in the manifest, altered.
      repack(
        tampered,
        folder,
        edit(files, 'report.md', (t) => t.replace('passed', 'failed')),
      );
      let result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toContain('FAILED: report.md does not match its line in SHA256SUMS');

      // The trail and the manifest altered together: only the audit chain catches it.
      repack(
        tampered,
        folder,
        withFreshManifest(edit(files, 'audit.jsonl', (t) => t.replace('"operator":"', '"operator":"someone-else-'))),
      );
      result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toContain('FAILED: audit.jsonl:1: line 1 was edited: its content does not match its hash');

      // A record cut from the end, with the manifest to match: the exported head catches it.
      repack(
        tampered,
        folder,
        withFreshManifest(edit(files, 'audit.jsonl', (t) => `${t.trimEnd().split('\n').slice(0, -1).join('\n')}\n`)),
      );
      result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toMatch(
        /FAILED: audit\.jsonl:\d+: line \d+ is missing: the trail ends at record \d+ but audit-head\.txt names record \d+/,
      );

      // The trail rewritten whole (each hash and prev recomputed, the head and manifest to match):
      // the chain holds, only the MACs, made with a key the forger does not have, catch it.
      const forged = edit(files, 'audit.jsonl', (text) => {
        let prev = '0'.repeat(64);
        return text
          .trimEnd()
          .split('\n')
          .map((line) => {
            const record = JSON.parse(line) as { hash: string; mac: string; [field: string]: unknown };
            const { hash: _h, mac, ...body } = { ...record, operator: 'forger', prev };
            const hashed = JSON.stringify({ ...body, hash: sha(canonicalJson(body)), mac });
            prev = sha(hashed);
            return hashed;
          })
          .join('\n')
          .concat('\n');
      });
      const forgedTrail = (forged.find((f) => f.path === 'audit.jsonl') as BundleFile).data.toString();
      const lastHash = sha(forgedTrail.trimEnd().split('\n').at(-1) as string);
      repack(tampered, folder, withFreshManifest(edit(forged, 'audit-head.txt', (t) => t.replace(/:[0-9a-f]{64} /, `:${lastHash} `))));
      result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toMatch(/FAILED: audit\.jsonl:1: line 1 carries a MAC that does not verify with key [0-9a-f]{16}/);
      const noKey = await ws().waymark(['evidence', '--verify', tampered], { XDG_CONFIG_HOME: ws().path('no-key-here') });
      expect(noKey.code, noKey.all).toBe(2);
      expect(noKey.stdout).toContain('NOT authenticated');

      // Reproduced: a bundle made up unkeyed (no MACs, every hash, the head and the manifest
      // recomputed) verified with exit 0. It is intact as far as anyone can check, and not authenticated.
      const unkeyed = edit(files, 'audit.jsonl', (text) => {
        let prev = '0'.repeat(64);
        return text
          .trimEnd()
          .split('\n')
          .map((line) => {
            const record = JSON.parse(line) as { hash: string; mac: string; key: string; [field: string]: unknown };
            const { hash: _h, mac: _m, key: _k, ...body } = { ...record, operator: 'forger', prev };
            const hashed = JSON.stringify({ ...body, hash: sha(canonicalJson(body)) });
            prev = sha(hashed);
            return hashed;
          })
          .join('\n')
          .concat('\n');
      });
      const unkeyedTrail = (unkeyed.find((f) => f.path === 'audit.jsonl') as BundleFile).data.toString();
      const unkeyedHead = sha(unkeyedTrail.trimEnd().split('\n').at(-1) as string);
      repack(
        tampered,
        folder,
        withFreshManifest(
          edit(unkeyed, 'audit-head.txt', (t) => t.replace(/:[0-9a-f]{64} key=[0-9a-f]{16}/, `:${unkeyedHead} key=unkeyed`)),
        ),
      );
      result = await verify();
      expect(result.code, result.all).toBe(2);
      expect(result.stdout).toContain('is intact, but NOT authenticated here:');
      expect(result.stdout).toContain('NOT authenticated: the trail is unkeyed');

      // Extracted and packed again with GNU tar (its own header format, folder entries): verified as
      // long as the files are untouched, and a log edited on the way names that log.
      const unpacked = ws().path('unpacked');
      await execa('mkdir', [unpacked]);
      await execa('tar', ['-xzf', bundle, '-C', unpacked]);
      await execa('tar', ['-czf', tampered, '-C', unpacked, folder]);
      result = await verify();
      expect(result.code, result.all).toBe(0);
      const log = join(unpacked, folder, 'logs/connect.1.log');
      writeFileSync(log, readFileSync(log, 'utf8').replace('connecting', 'not connecting'));
      await execa('tar', ['-czf', tampered, '-C', unpacked, folder]);
      result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toContain('FAILED: logs/connect.1.log does not match its line in SHA256SUMS');

      // A file added, and a file taken away, the manifest left as it was.
      repack(tampered, folder, [...files, { path: 'logs/extra.1.log', data: Buffer.from('all good\n') }]);
      result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toContain('FAILED: logs/extra.1.log is in the bundle but not listed in SHA256SUMS');
      // A forged bundle naming a file with terminal controls (a title change, OSC 0): --verify names
      // the file, and the name is shown inert, so the bundle cannot drive the reviewer's terminal.
      repack(tampered, folder, [...files, { path: 'logs/\u001b]0;pwned\u0007x.log', data: Buffer.from('all good\n') }]);
      result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toContain('FAILED: logs/␛]0;pwned␇x.log is in the bundle but not listed in SHA256SUMS');
      expect(result.all).not.toMatch(/[\u001b\u0007]/);
      repack(
        tampered,
        folder,
        files.filter((f) => f.path !== 'logs/check.1.log'),
      );
      result = await verify();
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toContain('FAILED: logs/check.1.log is listed in SHA256SUMS but missing from the bundle');
    },
    T,
  );

  it(
    'refuses bad input with a message and exit 2: not a tar.gz, a missing file, a runbook changed since the run',
    async () => {
      const { book } = await bundledRun('pw-0123456789');
      writeFileSync(ws().path('notes.tar.gz'), 'not a bundle\n');
      for (const [file, message] of [
        ['notes.tar.gz', 'notes.tar.gz is not a gzip file'],
        ['gone.tar.gz', 'gone.tar.gz does not exist'],
      ] as const) {
        const result = await ws().waymark(['evidence', '--verify', ws().path(file)]);
        expect(result.code, result.all).toBe(2);
        expect(result.stderr).toContain(message);
        expect(result.all).not.toMatch(/at .*\.js:\d+/);
      }
      writeFileSync(ws().path('plain.tar.gz'), gzipSync(Buffer.from('just text, no tar headers here'.repeat(40))));
      const plain = await ws().waymark(['evidence', '--verify', ws().path('plain.tar.gz')]);
      expect(plain.code, plain.all).toBe(2);
      expect(plain.stderr).toContain('is not a tar archive waymark wrote');

      writeFileSync(book, BOOK.replace('site $SITE answers', 'site $SITE answers quickly'));
      const out = ws().path('c.tar.gz');
      const changed = await ws().waymark(['evidence', book, '--out', out]);
      expect(changed.code, changed.all).toBe(2);
      expect(changed.stderr).toContain('is not the runbook run');
      expect(changed.stderr).toContain('step check changed since');
      rmSync(out, { force: true });
    },
    T,
  );

  it(
    'refuses a live run (exit 5): its trail and logs are still growing',
    async () => {
      const book = ws().write(
        'slow.md',
        [
          '---',
          'title: Slow',
          'id: slow',
          '---',
          '# Slow',
          '',
          '## Wait {#wait}',
          '',
          '```sh name=wait',
          'touch started; sleep 20',
          '```',
          '',
        ].join('\n'),
      );
      const child = ws().spawn(['run', book, '--headless']);
      try {
        expect(await waitFor(() => existsSync(ws().path('started')), 20_000)).toBe(true);
        const result = await ws().waymark(['evidence', book, '--out', ws().path('live.tar.gz')]);
        expect(result.code, result.all).toBe(5);
        expect(result.stderr).toMatch(
          /run \S+ is live \(another waymark holds its lock\): bundle its evidence once that session has ended/,
        );
        expect(existsSync(ws().path('live.tar.gz'))).toBe(false);
      } finally {
        child.kill('SIGTERM');
        await child;
      }
    },
    T,
  );
});
