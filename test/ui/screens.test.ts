/**
 * The golden screen corpus (issue 12): `capture-pane` text of the real binary in tmux, at 80x24,
 * 100x30 and 160x48, for the main screen, a gate with 6 rows, a confirm with a 24-line command, a
 * checklist with long items, the help and the resume screen. Each is compared with
 * docs/screens/NAME-COLSxROWS.txt; what varies between runs (run ids, times) is set aside first.
 *
 * After a deliberate change of the layout, write them again and read each one before committing:
 *
 *   npm run build && UPDATE_SCREENS=1 npx vitest run test/ui/screens.test.ts
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithMariaDb } from '../support/mariadb.js';
import { ROOT, terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace, type Tmux } from '../support/tmux.js';

const ws = useTmuxWorkspace('wm-screens-');
const SIZES = [
  [80, 24],
  [100, 30],
  [160, 48],
] as const;
const UPDATE = process.env.UPDATE_SCREENS === '1';
const T = 60_000;

/**
 * A screen as compared: run ids, dates, the host and durations become placeholders, runs of spaces one space, and
 * a word cut with an ellipsis loses its kept letters, at the edge or inside a row (a duration one digit longer
 * moves the cut: CI cut the header's title as "Mitaka…" where the recorded screen, beside a longer time, has "Mitak…").
 */
function comparable(screen: string): string {
  return screen
    .split('\n')
    .map((line) =>
      line
        .replace(/\d{8}T\d{6}Z-[0-9a-f]{4}/g, 'RUN')
        .replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/g, 'DATE')
        // The machine's name (a different length on another machine could also move a wrap).
        .replace(/\b(by \S+ on) \S+/g, '$1 HOST')
        .replace(/\b\d+(?:\.\d+)?(?:ms|s|m|h)\b(?: \d+(?:ms|s|m))?/g, 'TIME')
        .replace(/ +/g, ' ')
        .replace(/\S*…/g, '…')
        .trimEnd(),
    )
    .join('\n')
    .trimEnd();
}

/** Open waymark on `runbook` (copied into the workspace), do `steps`, and compare or write the screen. */
async function golden(
  name: string,
  columns: number,
  rows: number,
  runbook: string,
  steps: (tmux: Tmux, session: string) => Promise<void>,
  extra: string[] = [],
): Promise<void> {
  const dir = ws.dir;
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  const file = join('runbooks', runbook.split('/').at(-1)!);
  copyFileSync(runbook, join(dir, file));
  const session = `${name}-${columns}x${rows}`;
  const args = [file, '--state-dir', 'state', '--operator', 'alice', ...extra];
  await ws.tmux.startWaymark(session, args, { cwd: dir, columns, rows, env: terminalEnv({ NO_COLOR: '1' }) });
  await ws.tmux.waitFor(session, /\? help/);
  await steps(ws.tmux, session);
  // Let a frame that was on its way arrive, then take the screen.
  await new Promise((done) => setTimeout(done, 300));
  const screen = `${(await ws.tmux.screen(session)).replace(/\s+$/, '')}\n`;
  // waymark leaves as an operator would (esc closes a help or a prompt, q quits), before the
  // workspace is removed under it.
  await ws.tmux.keys(session, ['Escape']);
  await new Promise((done) => setTimeout(done, 100));
  await ws.tmux.keys(session, ['q']);
  await ws.tmux.waitForExit(session);
  const path = join(ROOT, 'docs/screens', `${session}.txt`);
  if (UPDATE) writeFileSync(path, screen);
  expect(comparable(screen), `${path} (UPDATE_SCREENS=1 writes it again)`).toBe(comparable(readFileSync(path, 'utf8')));
}

const DEMO = join(ROOT, 'runbooks/demo.md');
const FIXTURES = join(ROOT, 'test/fixtures/ui');

describe('golden screens', () => {
  for (const [columns, rows] of SIZES) {
    it(
      `main at ${columns}x${rows}: the demo after its first step, the next step pending`,
      async () => {
        await golden('main', columns, rows, DEMO, async (tmux, s) => {
          await tmux.keys(s, ['a']);
          await tmux.waitFor(s, /Check the configuration \(config\)/);
          await tmux.waitFor(s, /output: sandbox-ready/);
        });
      },
      T,
    );

    it(
      `help at ${columns}x${rows}`,
      async () => {
        await golden('help', columns, rows, DEMO, async (tmux, s) => {
          await tmux.keys(s, ['?']);
          await tmux.waitFor(s, /Keys that apply now/);
        });
      },
      T,
    );

    it(
      `confirm at ${columns}x${rows}: a 24-line command`,
      async () => {
        await golden('confirm', columns, rows, join(FIXTURES, 'confirm-long.md'), async (tmux, s) => {
          await tmux.keys(s, ['Enter']);
          await tmux.waitFor(s, /will run exactly:[\s\S]*(lines 1-\d+ of 24|all 24 lines shown)/);
        });
      },
      T,
    );

    it(
      `checklist at ${columns}x${rows}: long items`,
      async () => {
        await golden('checklist', columns, rows, join(FIXTURES, 'long-items.md'), async (tmux, s) => {
          await tmux.waitFor(s, /acknowledged/);
        });
      },
      T,
    );

    it(
      `resume at ${columns}x${rows}`,
      async () => {
        const first = `first-${columns}x${rows}`;
        mkdirSync(join(ws.dir, 'runbooks'), { recursive: true });
        copyFileSync(DEMO, join(ws.dir, 'runbooks/demo.md'));
        await ws.tmux.startWaymark(first, ['runbooks/demo.md', '--state-dir', 'state', '--operator', 'alice'], {
          cwd: ws.dir,
          columns,
          rows,
          env: terminalEnv({ NO_COLOR: '1' }),
        });
        await ws.tmux.waitFor(first, /\? help/);
        await ws.tmux.keys(first, ['a']);
        await ws.tmux.waitFor(first, /Check the configuration \(config\)/);
        await ws.tmux.keys(first, ['q']);
        await ws.tmux.waitForExit(first);
        await golden('resume', columns, rows, DEMO, async (tmux, s) => {
          await tmux.waitFor(s, /Resuming an unfinished run/);
        });
      },
      T,
    );
  }
});

describeWithMariaDb('golden screens of a gate', (server) => {
  const TABLES = ['nova.instances', 'nova.migrations', 'glance.images', 'cinder.volumes', 'neutron.networks', 'neutron.ports'];
  for (const [columns, rows] of SIZES) {
    it(
      `gate at ${columns}x${rows}: a check refused with 6 rows`,
      async () => {
        const db = server();
        for (const schema of ['nova', 'glance', 'cinder', 'neutron']) {
          await db.query(`DROP DATABASE IF EXISTS ${schema}`);
          await db.query(`CREATE DATABASE ${schema} CHARACTER SET utf8mb4`);
        }
        for (const table of TABLES) await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY) CHARACTER SET latin1`);
        await golden(
          'gate',
          columns,
          rows,
          join(FIXTURES, 'latin1-six.md'),
          async (tmux, s) => {
            await tmux.keys(s, ['Enter']);
            await tmux.waitFor(s, /GATE: check failed latin1-tables/);
          },
          ['--var', `DB_SOCKET=${db.socketPath}`],
        );
      },
      T,
    );
  }
});
