/** The screen: header, step list, current step, live output, footer — over one UiController. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { Box, Static, useApp, useInput, useStdin, type Key } from 'ink';
import { Text } from './inert-text.js';
import { runStepIndex, type UiController } from './controller.js';
import { openShell as runShell, type ShellRun } from './shell-escape.js';
import { useController } from './hooks/use-controller.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { actionFor, PLAIN_KEY } from './keys.js';
import { currentStepIndex } from '../engine/plan.js';
import { timeLeft } from '../engine/estimate.js';
import { rehearsalFigures } from '../engine/baseline.js';
import { formatDuration } from '../runbook/duration.js';
import { Header } from './components/Header.js';
import { StepList } from './components/StepList.js';
import { StepView, stepRowsNeeded, stepRowsWanted, stepSections } from './components/StepView.js';
import { OutputPane } from './components/OutputPane.js';
import { Footer, footerRows } from './components/Footer.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { StepPicker } from './components/StepPicker.js';
import { ResumeScreen } from './components/ResumeScreen.js';
import { ConfirmBlock, confirmWindow } from './components/ConfirmBlock.js';
import { lookOf } from './theme.js';

export interface AppProps {
  controller: UiController;
  /** Median step durations of earlier runs, by step hash. */
  durations: Map<string, number>;
  /** How to show a log file; the default runs $PAGER (less) on the real terminal. */
  openPager?: (file: string) => string | null;
  /** How to run the operator's shell (`!`); the default runs $SHELL on the real terminal. */
  openShell?: ShellRun;
}

/**
 * One read from the terminal as single key presses. ink hands a read that holds several keys
 * ("yes" and enter typed faster than the screen reads them, a paste, a slow ssh link) over as
 * one string; taken whole, "yes\r" would be neither text nor enter and be dropped.
 */
function splitRead(input: string, key: Key): [string, Key][] {
  if ([...input].length <= 1 || key.ctrl || key.meta) return [[input, key]];
  return [...input].map((ch): [string, Key] => {
    if (ch === '\r' || ch === '\n') return ['', { ...PLAIN_KEY, return: true }];
    if (ch === '\u007f' || ch === '\b') return ['', { ...PLAIN_KEY, backspace: true }];
    if (ch === '\t') return ['', { ...PLAIN_KEY, tab: true }];
    return [ch, PLAIN_KEY];
  });
}

function runPager(file: string): string | null {
  const pager = process.env.PAGER || 'less';
  const result = spawnSync(pager, [file], { stdio: 'inherit' });
  if (result.error) return `cannot start ${pager}: ${result.error.message}`;
  return null;
}

export function App({ controller, durations, openPager = runPager, openShell = runShell }: AppProps) {
  const snapshot = useController(controller);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const { setRawMode, isRawModeSupported } = useStdin();
  const [pagerError, setPagerError] = useState<string | null>(null);
  const session = controller.session;
  // Captured values join the variables once their block has run (docs/capture.md): the state says when.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the captures are the signal to ask the session again, not an input
  const vars = useMemo(() => session.shownValues(), [session, snapshot.state.captures]);

  const [textScroll, setTextScroll] = useState({ step: '', first: 0 });
  const handleKey = (input: string, key: Key) => {
    // On the confirm screen, the page and arrow keys move the command; every other key is typed.
    const moves = snapshot.prompt?.kind === 'confirm-block' && (key.pageUp || key.pageDown || key.upArrow || key.downArrow);
    if (controller.typing && !moves && !key.return && !(key.ctrl && input === 'c')) {
      controller.type(input, key);
      return;
    }
    const action = actionFor(input, key);
    if (!action) {
      // Not a key of the table: it still closes the help and answers "no" to a yes/no question.
      if (input || key.escape) controller.otherKey();
      return;
    }
    if ((action === 'text-up' || action === 'text-down') && !snapshot.help) {
      // The step's text is the screen's own: its scroll is kept here, per step, and clamped when drawn.
      // Keys of one read come before the next frame: each press builds on the one before.
      setTextScroll((before) => {
        const from = before.step === step?.id ? Math.min(before.first, proseScrollMax) : 0;
        return { step: step?.id ?? '', first: Math.max(0, Math.min(proseScrollMax, from + (action === 'text-up' ? -textPage : textPage))) };
      });
      return;
    }
    if (action === 'log' && !controller.typing && !controller.asking) {
      // No block has run in this session (a resumed run held at a gate): the held block's own log.
      const file = controller.logPath ?? heldLog;
      if (!file) {
        setPagerError('no block has run yet in this session: no log to open');
        return;
      }
      // The pager owns the terminal until it exits; ink renders again afterwards.
      if (isRawModeSupported) setRawMode(false);
      setPagerError(openPager(file));
      if (isRawModeSupported) setRawMode(true);
      return;
    }
    if (action === 'shell' && !controller.typing && !controller.asking) {
      const request = controller.shellRequest(process.env);
      if ('refused' in request) {
        setPagerError(request.refused);
        return;
      }
      // The shell owns the terminal until it exits, as the pager does; the audit records it.
      setPagerError(null);
      if (isRawModeSupported) setRawMode(false);
      const startedAt = new Date();
      const error = openShell(request);
      if (isRawModeSupported) setRawMode(true);
      void controller.shellClosed(startedAt, Date.now() - startedAt.getTime(), error);
      return;
    }
    setPagerError(null);
    void controller.press(action);
  };
  useInput((input, key) => {
    for (const [one, oneKey] of splitRead(input, key)) handleKey(one, oneKey);
  });

  useEffect(() => {
    if (snapshot.quit && !snapshot.busy) exit();
  }, [snapshot.quit, snapshot.busy, exit]);

  const { state, next, decisions } = snapshot;
  // The view follows the step the run is on (with --only, the selected one; at a gate, the gate's
  // step; when nothing is left, the last step), or the step the operator browses to.
  const runStep = runStepIndex(session, decisions);
  const focus = snapshot.browsing ?? runStep;
  // The step list marks the step shown; when nothing is left to run, none (as before browsing).
  const current = snapshot.browsing ?? (decisions.step ? runStep : currentStepIndex(session.runbook, state));
  // A browsed step is only read: what the run waits for belongs to the run's step.
  const onRunStep = focus === runStep;
  const step = session.runbook.steps[focus];
  const stepState = state.steps[focus];

  const heldBlock = decisions.block ? stepState?.blocks.find((b) => b.id === decisions.block?.id) : undefined;
  const heldLog = heldBlock?.log ? join(session.paths.dir, heldBlock.log) : null;

  const shown = pagerError ? { ...snapshot, message: { text: pagerError, tone: 'error' as const } } : snapshot;
  const footerHeight = footerRows(shown, columns).length;
  const height = Math.max(12, rows - 1);
  // The rows between the header and the footer, shared by the step list, the step and the output.
  const room = height - 2 - footerHeight;
  // Narrow screens put the current step's neighbourhood above the step, which gets the full width.
  const narrow = columns < 100;
  const stripHeight = narrow ? Math.min(3, session.runbook.steps.length) : 0;
  const longestTitle = Math.max(0, ...session.runbook.steps.map((s) => [...s.title].length));
  const listWidth = narrow ? columns : Math.min(Math.max(24, Math.floor(columns * 0.3)), Math.max(20, longestTitle + 6));
  const mainWidth = narrow ? columns : Math.max(20, columns - listWidth - 1);
  // The output pane keeps a few rows (more on a tall screen) and takes whatever the step leaves.
  const minOutput = Math.max(4, Math.floor(room / 5));
  const sections =
    step && stepState && !snapshot.prompt
      ? stepSections({
          step,
          state: stepState,
          // A step being read (not the run's) is shown as it stands, with nothing to pick on it.
          next: onRunStep ? next : { kind: 'complete' },
          selected: onRunStep ? snapshot.selected : -1,
          busy: snapshot.busy || snapshot.running !== null,
          vars,
          rollbacks: onRunStep ? decisions.rollbacks : [],
          fixes: onRunStep && snapshot.selecting === 'fixes' ? decisions.fixes : [],
          host: snapshot.host,
          reason: decisions.step === step ? decisions.reason : null,
          remedy: decisions.step === step ? decisions.remedy : null,
          gate: onRunStep && decisions.step === step ? decisions.gate : [],
          rehearsal: rehearsalFigures(state, step),
          width: mainWidth,
        })
      : null;
  // Beside the step, the list wants a row per step: the step's room is the larger of the two.
  const wanted = sections ? Math.max(stepRowsWanted(sections), narrow ? 0 : session.runbook.steps.length) : room;
  // What the operator acts on is never cut: the output pane gives way to it, down to two rows.
  const needed = sections ? stepRowsNeeded(sections) : 0;
  // A fleet block prints nothing to the pane (its hosts' output is in the grid): the grid takes the pane's rows.
  const outputFloor = sections?.fleet && snapshot.output.total === 0 ? 2 : minOutput;
  const bodyHeight = Math.max(1, Math.min(wanted, room - stripHeight - outputFloor), Math.min(needed, room - stripHeight - 2));
  const outputHeight = room - stripHeight - bodyHeight;
  const proseRoom = sections ? Math.max(1, bodyHeight - (wanted - sections.prose.length) - 1) : 1;
  const proseScrollMax = sections ? Math.max(0, sections.prose.length - proseRoom) : 0;
  const textPage = Math.max(1, proseRoom - 1);
  const proseScroll = textScroll.step === step?.id ? Math.min(textScroll.first, proseScrollMax) : 0;

  // The confirm screen takes the step's and the output's room: the command is what matters now.
  const prompt = snapshot.prompt;
  const confirmCommand = prompt?.kind === 'confirm-block' ? session.describeBlock(prompt.block) : null;
  // A fleet block between batches says what the last batch did before the next one is confirmed.
  const fleetNote =
    prompt?.kind === 'confirm-block' &&
    decisions.fleet &&
    decisions.block?.id === prompt.block.id &&
    decisions.blockState?.status === 'paused'
      ? decisions.summary
      : null;
  const confirmView =
    prompt?.kind === 'confirm-block' && confirmCommand !== null
      ? {
          block: prompt.block,
          command: confirmCommand,
          program: session.describeProgram(prompt.block),
          vars: session.shownValuesFor(prompt.block),
          fleetNote,
        }
      : null;
  const confirmSize = confirmView ? confirmWindow(confirmView, columns, room) : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the window's two numbers are what matter; the object is new each frame
  useEffect(() => {
    if (confirmSize && !snapshot.help) controller.confirmView(confirmSize.rows, confirmSize.total);
  }, [controller, confirmSize?.rows, confirmSize?.total, snapshot.help]);

  const finished = state.steps.flatMap((s) =>
    s.blocks.filter((b) => b.finishedAt && b.status !== 'running').map((b) => ({ key: `${b.id}@${b.finishedAt}`, step: s.id, block: b })),
  );

  let main: ReactNode;
  if (prompt?.kind === 'resume') {
    main = <ResumeScreen state={state} notices={session.notices} decisions={decisions} width={mainWidth} height={room - stripHeight} />;
  } else if (sections) {
    main = <StepView sections={sections} width={mainWidth} height={bodyHeight} proseScroll={proseScroll} />;
  } else if (prompt?.kind !== 'confirm-block') {
    main = <Text>{step ? ' ' : 'This runbook has no steps.'}</Text>;
  }

  return (
    <>
      <Static items={finished}>
        {(item) => {
          const look = lookOf(item.block.status);
          return (
            <Text key={item.key}>
              {look.glyph} {item.step}/{item.block.id} {item.block.status}
              {/* An interrupted block's time and reason are an earlier execution's: not shown for it. */}
              {item.block.durationMs !== undefined && item.block.status !== 'interrupted'
                ? ` ${formatDuration(item.block.durationMs)}`
                : ''}
              {item.block.reason && item.block.status !== 'passed' && item.block.status !== 'interrupted' ? `: ${item.block.reason}` : ''}
            </Text>
          );
        }}
      </Static>
      <Box flexDirection="column" width={columns} height={height}>
        <Header state={state} width={columns} timeLeftMs={timeLeft(state, durations)} />
        {snapshot.help ? (
          // The help takes the step list's and the output's room too: every key fits at 80x24.
          <HelpOverlay
            width={columns}
            height={room}
            allowed={snapshot.busy ? ['stop'] : decisions.choices.map((c) => c.kind)}
            textScrolls={proseScrollMax > 0}
            hosts={sections?.fleet != null}
          />
        ) : snapshot.picking !== null ? (
          <StepPicker
            steps={session.runbook.steps}
            state={state}
            picked={snapshot.picking}
            runStep={runStep}
            width={columns}
            height={room}
          />
        ) : prompt?.kind === 'confirm-block' && confirmView ? (
          <ConfirmBlock
            {...confirmView}
            rollback={prompt.rollback}
            scroll={prompt.scroll}
            seenEnd={prompt.seenEnd}
            width={columns}
            height={room}
          />
        ) : prompt?.kind === 'resume' ? (
          <Box flexDirection="row" height={room}>
            {narrow ? null : (
              <>
                <StepList state={state} current={current} width={listWidth} height={room} />
                <Box width={1} />
              </>
            )}
            {main}
          </Box>
        ) : (
          <>
            {narrow ? <StepList state={state} current={current} width={columns} height={stripHeight} /> : null}
            <Box flexDirection="row" height={bodyHeight}>
              {narrow ? null : (
                <>
                  <StepList state={state} current={current} width={listWidth} height={bodyHeight} />
                  <Box width={1} />
                </>
              )}
              {main}
            </Box>
            <OutputPane output={snapshot.output} running={snapshot.busy} width={columns} height={outputHeight} />
          </>
        )}
        <Footer snapshot={shown} width={columns} />
      </Box>
    </>
  );
}
