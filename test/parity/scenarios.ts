/**
 * The parity table: each scenario is a small runbook and the invocations an operator makes,
 * written once for both faces. Headless answers with flags, the TUI with keys:
 *   --yes               ↔ typing yes at a confirm prompt, space to tick, enter to confirm a step
 *   --override C=R      ↔ o, the reason, enter
 *   --skip S=R          ↔ s, the reason, enter
 *   --accept-warnings   ↔ w
 *   --rerun-interrupted ↔ r (and r re-runs a refused check or retries a failed block, which a new
 *                         headless invocation does by itself)
 * and the TUI needs keys headless does not: enter to run each next block, q to leave.
 * Flags that select or set the run (--only, --skip-tag, --profile, --var) go to both faces.
 * Blocks are shell only: `true`, `exit 1`, and `test -e FLAG`, a file the scenario creates between
 * two invocations to "fix the cause".
 */
import type { Workspace } from './workspace.js';

/** One invocation of `waymark run`, in both faces. */
export interface Invocation {
  /** What changes before it: fix the cause, edit the runbook. */
  before?: (ws: Workspace) => void;
  /** Flags both faces take. */
  flags?: string[];
  /** Headless only: the answer flags. */
  answers?: string[];
  /** TUI only: the keys, in order (names of KEYS in tui.tsx, or text typed as is). */
  keys: string[];
  /** The exit code both faces must give. */
  exit: number;
  /**
   * Where the faces legitimately differ, with why: the two are then not compared with each other
   * (each is still checked against `transitions`, `absent` and its own exit code). Only used where a
   * headless flag is refused before the run opens (bad input, 2, nothing recorded) while the TUI
   * refuses the same answer as a key, with a message, inside the resumed run.
   */
  differsByFace?: { exit: { headless: number; tui: number }; why: string };
  /** Transitions that must come out, in this order (others may come between). */
  transitions: string[];
  /** Transitions that must not come out: each is a prefix (`block-started` for "nothing runs"). */
  absent?: string[];
  /** Step statuses `waymark status --json` must report after it. */
  steps?: Record<string, string>;
  /** Text each face must show the operator (headless stdout, TUI frames). */
  shows?: { headless?: string; tui?: string };
  /** Text each face must not show the operator. */
  notShown?: { headless?: string; tui?: string };
  /** Text that must not reach the screen of either face, nor any file of the state directory. */
  hides?: string[];
}

export interface Scenario {
  name: string;
  runbook: string;
  /** Environment variables for both faces. */
  env?: Record<string, string>;
  /**
   * What happened before the first invocation, done the same way in both state directories with the
   * session itself (not a face): e.g. a block interrupted.
   */
  setup?: 'interrupt-first-block';
  /** Set when a row pins behaviour issue 11 added (each such row failed before it). */
  newRule?: string;
  invocations: Invocation[];
}

const sh = (info: string, code: string): string => `\`\`\`sh ${info}\n${code}\n\`\`\`\n`;
const book = (...parts: string[]): string => `# Parity\n\n${parts.join('\n')}`;

const GATE_THEN_MIGRATE = book(
  '## Precheck {#pre}\n',
  sh('check name=charset', 'test -e fixed'),
  '## Migrate {#migrate}\n',
  sh('name=schema', 'true'),
);

export const SCENARIOS: Scenario[] = [
  {
    name: 'gate refused, then fixed and re-run',
    runbook: GATE_THEN_MIGRATE,
    invocations: [
      {
        keys: ['enter', 'q'],
        exit: 3,
        transitions: ['run-started profile=null', 'block-finished pre/charset failure', 'session-closed refused'],
        absent: ['block-started migrate'],
      },
      {
        before: (ws) => ws.touch('fixed'),
        keys: ['r', 'enter', 'q'],
        exit: 0,
        transitions: [
          'run-resumed profile=null',
          'block-finished pre/charset success',
          'step-finished pre',
          'block-finished migrate/schema success',
          'run-complete',
        ],
      },
    ],
  },
  {
    name: 'override of a check that allows it',
    runbook: book(
      '## Precheck {#pre}\n',
      sh('check name=charset override=allowed', 'exit 1'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      {
        answers: ['--override', 'charset=checked by hand on the replica'],
        keys: ['enter', 'o', 'checked by hand on the replica', 'enter', 'enter', 'q'],
        exit: 0,
        transitions: [
          'block-finished pre/charset failure',
          'check-overridden pre/charset "checked by hand on the replica"',
          'step-finished pre',
          'block-finished migrate/schema success',
          'run-complete',
        ],
        steps: { pre: 'overridden', migrate: 'passed' },
      },
    ],
  },
  {
    name: 'a gate with two failing checks shows both; an override names one, a re-run re-runs the other',
    newRule: 'issue 14: every check of a gate runs before it refuses, and both faces show every failure',
    runbook: book(
      '## Precheck {#pre}\n',
      sh('check name=latin1 override=allowed', 'test -e fixed-latin1'),
      sh('check name=null-hosts', 'test -e fixed-hosts'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      {
        keys: ['enter', 'enter', 'q'],
        exit: 3,
        transitions: ['block-finished pre/latin1 failure', 'block-finished pre/null-hosts failure', 'session-closed refused'],
        absent: ['block-started migrate'],
        steps: { pre: 'refused' },
        shows: { headless: 'also REFUSED check null-hosts: exit 1, expected 0', tui: 'also: check failed null-hosts' },
      },
      {
        before: (ws) => ws.touch('fixed-hosts'),
        answers: ['--override', 'latin1=converted by hand on the replica'],
        keys: ['o', 'converted by hand on the replica', 'enter', 'r', 'enter', 'q'],
        exit: 0,
        transitions: [
          'check-overridden pre/latin1 "converted by hand on the replica"',
          'block-finished pre/null-hosts success',
          'step-finished pre',
          'block-finished migrate/schema success',
          'run-complete',
        ],
        absent: ['block-started pre/latin1'],
        steps: { pre: 'overridden', migrate: 'passed' },
      },
    ],
  },
  {
    name: 'rollback after a failure: confirmed, run and audited alike; the failure still holds',
    newRule: "issue 14: headless --rollback STEP, with the TUI's confirm and audit rules",
    runbook: book(
      '## Migrate {#migrate}\n',
      sh('name=schema', 'test -e fixed'),
      sh('rollback name=restore', 'true'),
      '## After {#after}\n',
      sh('name=after-run', 'true'),
    ),
    invocations: [
      { keys: ['enter', 'q'], exit: 1, transitions: ['block-finished migrate/schema failure', 'session-closed failed'] },
      {
        answers: ['--rollback', 'migrate', '--yes'],
        keys: ['b', 'yes', 'enter', 'q'],
        exit: 1,
        transitions: [
          'block-confirmed migrate/restore',
          'block-started migrate/restore',
          'block-finished migrate/restore success',
          'session-closed failed',
        ],
        absent: ['block-started migrate/schema', 'block-started after'],
      },
      {
        before: (ws) => ws.touch('fixed'),
        keys: ['r', 'enter', 'q'],
        exit: 0,
        transitions: ['block-finished migrate/schema success', 'step-finished migrate', 'run-complete'],
      },
    ],
  },
  {
    name: 'override refused where the check does not allow it',
    runbook: book('## Precheck {#pre}\n', sh('check name=charset', 'exit 1'), '## Migrate {#migrate}\n', sh('name=schema', 'true')),
    invocations: [
      { keys: ['enter', 'q'], exit: 3, transitions: ['block-finished pre/charset failure', 'session-closed refused'] },
      {
        answers: ['--override', 'charset=checked by hand on the replica'],
        keys: ['o', 'q'],
        exit: 3,
        differsByFace: {
          exit: { headless: 2, tui: 3 },
          why: 'headless refuses the flag before the run opens (bad input); the TUI refuses the key with a message and leaves the run refused',
        },
        transitions: [],
        absent: ['check-overridden', 'block-started'],
        shows: { headless: 'check charset does not allow an override', tui: 'cannot be overridden' },
      },
    ],
  },
  {
    name: 'warning waits, then is acknowledged',
    runbook: book(
      '## Precheck {#pre}\n',
      sh('check name=rpc severity=warning', 'exit 1'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      {
        keys: ['enter', 'q'],
        exit: 4,
        transitions: ['block-finished pre/rpc warning', 'session-closed waiting'],
        absent: ['block-started migrate'],
      },
      {
        answers: ['--accept-warnings'],
        keys: ['w', 'enter', 'q'],
        exit: 0,
        transitions: ['warning-acknowledged pre/rpc', 'step-finished pre', 'block-finished migrate/schema success', 'run-complete'],
      },
    ],
  },
  {
    name: 'confirm block: shown, then run once confirmed',
    runbook: book(
      '## Drop shadow tables {#drop}\n',
      sh('name=drop-shadow confirm', 'true'),
      '## After {#after}\n',
      sh('name=after-run', 'true'),
    ),
    invocations: [
      {
        keys: ['enter', 'escape', 'q'],
        exit: 4,
        transitions: [],
        absent: ['block-started', 'block-confirmed'],
        shows: { headless: 'block drop-shadow needs confirmation', tui: 'drop-shadow (shell) will run exactly' },
      },
      {
        answers: ['--yes'],
        keys: ['enter', 'yes', 'enter', 'enter', 'q'],
        exit: 0,
        transitions: [
          'block-confirmed drop/drop-shadow',
          'block-finished drop/drop-shadow success',
          'block-finished after/after-run success',
          'run-complete',
        ],
      },
    ],
  },
  {
    // Reproduced by the gates attack pass: headless without --yes said "refused: ... fix the cause
    // and run again" and exited 4 (the TUI 3 for the same run), and "run again" did the same again.
    name: 'a refused confirm check, re-invoked without a confirmation: 3 in both faces, and --yes is named',
    runbook: book(
      '## Precheck {#pre}\n',
      sh('check name=charset confirm', 'test -e fixed'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      {
        answers: ['--yes'],
        keys: ['enter', 'yes', 'enter', 'q'],
        exit: 3,
        transitions: ['block-confirmed pre/charset', 'block-finished pre/charset failure'],
      },
      {
        before: (ws) => ws.touch('fixed'),
        keys: ['q'],
        exit: 3,
        transitions: [],
        absent: ['block-started'],
        shows: { headless: '--headless --yes): the check is re-run first' },
      },
    ],
  },
  {
    name: 'a failed confirm block, re-invoked without a confirmation: 1 in both faces, and --yes is named',
    runbook: book(
      '## Migrate {#migrate}\n',
      sh('name=schema confirm', 'test -e fixed'),
      '## After {#after}\n',
      sh('name=after-run', 'true'),
    ),
    invocations: [
      {
        answers: ['--yes'],
        keys: ['enter', 'yes', 'enter', 'q'],
        exit: 1,
        transitions: ['block-confirmed migrate/schema', 'block-finished migrate/schema failure'],
      },
      {
        before: (ws) => ws.touch('fixed'),
        keys: ['q'],
        exit: 1,
        transitions: [],
        absent: ['block-started'],
        shows: { headless: 'it needs a confirmation before it runs again: confirm it in the TUI, or run again with --yes' },
      },
    ],
  },
  {
    name: 'checklist after the blocks: ticked before the step passes',
    newRule: 'quitting with a checklist pending leaves the step waiting, not interrupted',
    runbook: book(
      '## Restart {#restart}\n',
      sh('name=restart-api', 'true'),
      '- [ ] the API answers\n',
      '## After {#after}\n',
      sh('name=after-run', 'true'),
    ),
    invocations: [
      {
        keys: ['enter', 'q'],
        exit: 4,
        transitions: ['block-finished restart/restart-api success', 'session-closed waiting'],
        absent: ['step-finished restart'],
        steps: { restart: 'waiting' },
      },
      {
        answers: ['--yes'],
        keys: ['space', 'enter', 'q'],
        exit: 0,
        transitions: [
          'item-ticked restart:restart-check-1',
          'step-finished restart',
          'block-finished after/after-run success',
          'run-complete',
        ],
      },
    ],
  },
  {
    name: 'checklist before the first block is a precondition',
    newRule: "checklist items before a step's first executable block must be ticked before that block starts",
    runbook: book("## Start services {#start}\n\n- [ ] Mitaka's configuration is deployed\n", sh('name=start-services', 'true')),
    invocations: [
      // Nothing of the step began: it stays pending, and the run waits for the operator.
      { keys: ['enter', 'q'], exit: 4, transitions: ['session-closed waiting'], absent: ['block-started'], steps: { start: 'pending' } },
      {
        answers: ['--yes'],
        keys: ['space', 'enter', 'q'],
        exit: 0,
        transitions: ['item-ticked start:start-check-1', 'block-started start/start-services', 'step-finished start', 'run-complete'],
        shows: { headless: 'ticked automatically' },
      },
    ],
  },
  {
    name: 'interrupted run block: waits, then re-run',
    setup: 'interrupt-first-block',
    runbook: book(
      '## Migrate {#migrate}\n',
      sh('name=online-data', 'test -e fixed || sleep 30'),
      '## After {#after}\n',
      sh('name=after-run', 'true'),
    ),
    invocations: [
      {
        before: (ws) => ws.touch('fixed'),
        keys: ['q'],
        exit: 4,
        transitions: ['run-resumed profile=null', 'session-closed interrupted'],
        absent: ['block-started'],
        steps: { migrate: 'interrupted' },
      },
      {
        answers: ['--rerun-interrupted'],
        keys: ['r', 'enter', 'q'],
        exit: 0,
        transitions: [
          'block-started migrate/online-data',
          'block-finished migrate/online-data success',
          'step-finished migrate',
          'block-finished after/after-run success',
          'run-complete',
        ],
      },
    ],
  },
  {
    name: 'interrupted check: holds the run, then re-run',
    setup: 'interrupt-first-block',
    runbook: book(
      '## Precheck {#pre}\n',
      sh('check name=slow-check', 'test -e fixed || sleep 30'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      { before: (ws) => ws.touch('fixed'), keys: ['q'], exit: 4, transitions: ['session-closed interrupted'], absent: ['block-started'] },
      {
        answers: ['--rerun-interrupted'],
        keys: ['r', 'enter', 'q'],
        exit: 0,
        transitions: ['block-finished pre/slow-check success', 'block-finished migrate/schema success', 'run-complete'],
      },
    ],
  },
  {
    name: 'interrupted check that allows it: overridden',
    setup: 'interrupt-first-block',
    runbook: book(
      '## Precheck {#pre}\n',
      sh('check name=slow-check override=allowed', 'sleep 30'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      {
        answers: ['--override', 'slow-check=the replica lags, checked by hand'],
        keys: ['o', 'the replica lags, checked by hand', 'enter', 'enter', 'q'],
        exit: 0,
        transitions: [
          'check-overridden pre/slow-check "the replica lags, checked by hand"',
          'step-finished pre',
          'block-finished migrate/schema success',
          'run-complete',
        ],
        absent: ['block-started pre'],
      },
    ],
  },
  {
    name: 'drift: the runbook was edited between two invocations',
    runbook: book('## Stop {#stop}\n', sh('name=stop-api', 'echo one'), '## Precheck {#pre}\n', sh('check name=charset', 'test -e fixed')),
    invocations: [
      {
        keys: ['enter', 'enter', 'q'],
        exit: 3,
        transitions: ['block-finished stop/stop-api success', 'step-finished stop', 'block-finished pre/charset failure'],
      },
      {
        before: (ws) => {
          ws.edit('echo one', 'echo two');
          ws.touch('fixed');
        },
        keys: ['enter', 'r', 'q'],
        exit: 0,
        transitions: [
          'run-resumed profile=null',
          'drift stop/stop-api drift-changed',
          'block-finished stop/stop-api success',
          'step-finished stop',
          'block-finished pre/charset success',
          'run-complete',
        ],
      },
    ],
  },
  {
    name: 'failed run block: rollback offered, then retried once fixed',
    runbook: book(
      '## Migrate {#migrate}\n',
      sh('name=schema', 'test -e fixed'),
      sh('rollback name=restore-dump', 'true'),
      '## After {#after}\n',
      sh('name=after-run', 'true'),
    ),
    invocations: [
      {
        keys: ['enter', 'q'],
        exit: 1,
        transitions: ['block-finished migrate/schema failure', 'session-closed failed'],
        absent: ['block-started migrate/restore-dump', 'block-started after'],
        shows: { headless: 'rollback blocks offered: restore-dump (b in the TUI, or --rollback migrate --yes)', tui: 'b rollback' },
      },
      {
        before: (ws) => ws.touch('fixed'),
        keys: ['r', 'enter', 'q'],
        exit: 0,
        transitions: [
          'block-finished migrate/schema success',
          'step-finished migrate',
          'block-finished after/after-run success',
          'run-complete',
        ],
        absent: ['block-started migrate/restore-dump'],
      },
    ],
  },
  {
    name: 'failed verify block',
    runbook: book('## Migrate {#migrate}\n', sh('name=schema', 'true'), sh('verify name=schema-ok', 'exit 1')),
    invocations: [
      {
        keys: ['enter', 'enter', 'q'],
        exit: 1,
        transitions: ['block-finished migrate/schema success', 'block-finished migrate/schema-ok failure', 'session-closed failed'],
        steps: { migrate: 'failed' },
      },
    ],
  },
  {
    name: 'skip an optional step',
    runbook: book(
      '## Stop compute {#stop-compute optional}\n',
      sh('name=stop-nova', 'exit 1'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      {
        answers: ['--skip', 'stop-compute=no compute nodes on this testbed'],
        keys: ['s', 'no compute nodes on this testbed', 'enter', 'enter', 'q'],
        exit: 0,
        transitions: [
          'step-skipped stop-compute "no compute nodes on this testbed"',
          'block-finished migrate/schema success',
          'run-complete',
        ],
        absent: ['block-started stop-compute'],
        steps: { 'stop-compute': 'skipped', migrate: 'passed' },
      },
    ],
  },
  {
    name: '--only TAG: the selected steps, then exit 0',
    newRule: '--only: when the selection is done the TUI exits 0 ("selected steps done"), as headless does, not 4',
    runbook: book(
      '## DB one {#db-one tags=db}\n',
      sh('name=db-1', 'true'),
      '## Compute {#compute tags=compute}\n',
      sh('name=compute-1', 'true'),
      '## DB two {#db-two tags=db}\n',
      sh('name=db-2', 'true'),
    ),
    invocations: [
      {
        flags: ['--only', 'db'],
        keys: ['enter', 'enter', 'q'],
        exit: 0,
        transitions: ['block-finished db-one/db-1 success', 'block-finished db-two/db-2 success', 'session-closed waiting'],
        absent: ['block-started compute', 'run-complete'],
        steps: { 'db-one': 'passed', compute: 'pending', 'db-two': 'passed' },
        shows: { headless: 'selected steps', tui: 'selected steps done' },
      },
      {
        keys: ['enter', 'q'],
        exit: 0,
        transitions: ['block-finished compute/compute-1 success', 'run-complete'],
        absent: ['block-started db'],
      },
    ],
  },
  {
    name: '--skip-tag TAG: the others, then exit 0',
    newRule: '--skip-tag: when the selection is done the TUI exits 0 ("selected steps done"), as headless does, not 4',
    runbook: book(
      '## DB one {#db-one tags=db}\n',
      sh('name=db-1', 'true'),
      '## Compute {#compute tags=compute}\n',
      sh('name=compute-1', 'true'),
      '## DB two {#db-two tags=db}\n',
      sh('name=db-2', 'true'),
    ),
    invocations: [
      {
        flags: ['--skip-tag', 'compute'],
        keys: ['enter', 'enter', 'q'],
        exit: 0,
        transitions: ['block-finished db-one/db-1 success', 'block-finished db-two/db-2 success'],
        absent: ['block-started compute'],
        steps: { compute: 'pending' },
      },
    ],
  },
  {
    name: 'an unknown tag is refused by both flags',
    runbook: book('## DB {#db tags=db}\n', sh('name=db-1', 'true')),
    invocations: [
      { flags: ['--skip-tag', 'nosuchtag'], keys: [], exit: 2, transitions: [], absent: ['run-started'] },
      { flags: ['--only', 'nosuchtag'], keys: [], exit: 2, transitions: [], absent: ['run-started'] },
    ],
  },
  {
    name: 'needs=: a step waits for its stage',
    runbook: book(
      '## API {#api tags=services}\n',
      sh('name=api-up', 'true'),
      '## Conductor {#conductor tags=services}\n',
      sh('name=conductor-up', 'true'),
      '## Unpin RPC {#unpin needs=services}\n',
      sh('name=unpin-rpc', 'true'),
    ),
    invocations: [
      {
        flags: ['--skip-tag', 'services'],
        keys: ['enter', 'q'],
        exit: 3,
        transitions: ['session-closed refused'],
        absent: ['block-started'],
      },
      {
        keys: ['enter', 'enter', 'enter', 'q'],
        exit: 0,
        transitions: [
          'block-finished api/api-up success',
          'block-finished conductor/conductor-up success',
          'block-finished unpin/unpin-rpc success',
          'run-complete',
        ],
      },
    ],
  },
  {
    name: 'fixes=: the fix step runs past the refused gate, then the gate is re-run',
    newRule: '--only: when the selection is done the TUI exits 0, as headless does, not 4 (invocation 2)',
    runbook: book(
      '## Check charset {#charset}\n',
      sh('check name=latin1', 'test -e fixed'),
      '## Convert tables {#convert fixes=charset tags=convert}\n',
      sh('name=convert-run', 'touch fixed'),
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      {
        keys: ['enter', 'q'],
        exit: 3,
        transitions: ['block-finished charset/latin1 failure', 'session-closed refused'],
        shows: { headless: 'or run step convert, which fixes it' },
      },
      {
        flags: ['--only', 'convert'],
        keys: ['enter', 'q'],
        exit: 0,
        transitions: ['block-finished convert/convert-run success', 'step-finished convert'],
        absent: ['block-started charset', 'block-started migrate'],
      },
      {
        keys: ['r', 'enter', 'q'],
        exit: 0,
        transitions: [
          'block-finished charset/latin1 success',
          'step-finished charset',
          'block-finished migrate/schema success',
          'run-complete',
        ],
      },
    ],
  },
  {
    name: 'a complete run re-invoked runs nothing',
    newRule: 'a complete run is not silently run again: nothing runs, exit 0',
    runbook: book('## Migrate {#migrate}\n', sh('name=schema', 'echo ran >> counter')),
    invocations: [
      { keys: ['enter', 'q'], exit: 0, transitions: ['block-finished migrate/schema success', 'run-complete'] },
      {
        keys: ['q'],
        exit: 0,
        transitions: [],
        absent: ['run-started', 'block-started'],
        shows: { headless: 'evidence: waymark evidence', tui: 'evidence: waymark evidence' },
      },
    ],
  },
  {
    name: 'contradicting settings on resume are refused',
    runbook: `---\nvars:\n  TARGET: mitaka\nprofiles:\n  testbed: { TARGET: liberty }\n  prod: { TARGET: kilo }\n---\n${book('## Pre {#pre}\n', sh('name=show', 'echo "$TARGET"'), '## Check {#check}\n', sh('check name=ready', 'test -e fixed && test "$TARGET" = liberty'))}`,
    invocations: [
      {
        flags: ['--profile', 'testbed'],
        keys: ['enter', 'enter', 'q'],
        exit: 3,
        transitions: ['run-started profile=testbed', 'block-finished pre/show success', 'block-finished check/ready failure'],
      },
      {
        flags: ['--profile', 'prod'],
        keys: [],
        exit: 2,
        transitions: [],
        absent: ['run-resumed', 'block-started'],
        shows: { headless: '--new-run', tui: '--new-run' },
      },
      {
        flags: ['--var', 'TARGET=kilo'],
        keys: [],
        exit: 2,
        transitions: [],
        absent: ['run-resumed', 'block-started'],
        shows: { headless: '--new-run', tui: '--new-run' },
      },
      // Resumed without flags: the run's own profile (TARGET=liberty, which the check tests), shown on the resume screen.
      {
        before: (ws) => ws.touch('fixed'),
        keys: ['r', 'q'],
        exit: 0,
        transitions: ['run-resumed profile=testbed', 'block-finished check/ready success', 'run-complete'],
        shows: { tui: 'testbed' },
      },
    ],
  },
  {
    name: 'quit at a confirmation leaves the step waiting',
    newRule: 'stopping at a confirmation leaves the step waiting, not interrupted',
    runbook: book('## Convert {#convert}\n', sh('name=dump', 'true'), sh('name=convert-charset confirm', 'true')),
    invocations: [
      {
        keys: ['enter', 'enter', 'escape', 'q'],
        exit: 4,
        transitions: ['block-finished convert/dump success'],
        absent: ['block-started convert/convert-charset', 'block-confirmed'],
        steps: { convert: 'waiting' },
      },
      {
        answers: ['--yes'],
        keys: ['enter', 'yes', 'enter', 'q'],
        exit: 0,
        transitions: ['block-confirmed convert/convert-charset', 'block-finished convert/convert-charset success', 'run-complete'],
      },
    ],
  },
  {
    name: 'a step with nothing to run needs one confirmation',
    runbook: book(
      '## Tell the team {#tell}\n\nPost in the channel that the upgrade starts.\n',
      '## Migrate {#migrate}\n',
      sh('name=schema', 'true'),
    ),
    invocations: [
      { keys: ['q'], exit: 4, transitions: [], absent: ['step-confirmed', 'block-started'] },
      {
        answers: ['--yes'],
        keys: ['enter', 'enter', 'q'],
        exit: 0,
        transitions: ['step-confirmed tell', 'step-finished tell', 'block-finished migrate/schema success', 'run-complete'],
      },
    ],
  },
  {
    name: 'a check that could not run shows its error, not the remedy for a failure',
    newRule: "a check whose outcome is error never shows the runbook's remedy, which is for a failure",
    runbook: book(
      '## Check charset {#charset}\n',
      sh('check name=latin1', 'no-such-command-waymark-parity'),
      '\nConvert them with the next step.\n',
      '## Convert {#convert}\n',
      sh('name=convert-run', 'true'),
    ),
    invocations: [
      {
        keys: ['enter', 'q'],
        exit: 3,
        transitions: ['block-finished charset/latin1 error', 'session-closed refused'],
        shows: { headless: 'could not run', tui: 'latin1' },
        notShown: { headless: 'the runbook says: Convert them', tui: '→ Convert them' },
      },
    ],
  },
  {
    name: 'secrets are masked on screen and on disk',
    env: { PARITY_DB_PASSWORD: 'hunter2-parity-secret' },
    runbook: `---\nvars:\n  DB_PASSWORD:\n    secret: true\n    required: true\n    env: PARITY_DB_PASSWORD\n---\n${book('## Connect {#connect}\n', sh('name=login', 'echo "password is $DB_PASSWORD"'), sh('verify name=fails', 'echo "still $DB_PASSWORD" >&2; exit 1'))}`,
    invocations: [
      {
        answers: ['--output'],
        keys: ['enter', 'enter', 'q'],
        exit: 1,
        transitions: ['block-finished connect/login success', 'block-finished connect/fails failure'],
        hides: ['hunter2-parity-secret'],
        shows: { headless: 'password is ••••', tui: 'still ••••' },
      },
    ],
  },
];
