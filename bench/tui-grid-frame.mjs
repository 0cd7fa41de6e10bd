// The TUI's frame with a fleet block's host grid, in process: the real App (src/ui/app.tsx) rendered
// by ink at 80x24 into a stand-in terminal, driven by a stand-in of the UI controller whose
// snapshots are built as UiController#build builds them (the engine's nextAction and decisionsFor
// over a RunState moved on by the engine's own reduce). Bundled from src by bench/tui-grid.mjs with
// esbuild and production React, as the TUI script is; it is not run on its own.
//
// `openFleetFrame({ hosts })` renders a one-step runbook whose fleet block (`hosts=computes
// batch=1,25% max-fail=10%`) has `hosts` hosts, the canary done and batch 2 running, and returns
// `update()`: the next host's result (every 97th fails), then a frame. It resolves with the ms from
// the controller's notify (the snapshot built) to ink's write of the frame, and the frame's text.
import { EventEmitter } from 'node:events';
import React from 'react';
import { render } from 'ink';
import { parseRunbook } from '../src/runbook/parse.ts';
import { blockHash, initialRunState } from '../src/engine/reconcile.ts';
import { reduce } from '../src/engine/run-state.ts';
import { nextAction } from '../src/engine/plan.ts';
import { decisionsFor } from '../src/engine/decisions.ts';
import { planBatches } from '../src/engine/fleet.ts';
import { App } from '../src/ui/app.tsx';
import { fleetHostNames, fleetRunbookText } from './gen-runbook.mjs';

/** A terminal of `columns` x `rows` as ink sees one: a TTY that keeps what is written to it. */
class Terminal extends EventEmitter {
  isTTY = true;
  constructor(columns, rows, onWrite) {
    super();
    this.columns = columns;
    this.rows = rows;
    this.onWrite = onWrite;
  }
  write(text) {
    this.onWrite(String(text));
    return true;
  }
}

/** A keyboard nobody types on (ink puts it in raw mode and listens). */
class Keyboard extends EventEmitter {
  isTTY = true;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}

const AT = Date.parse('2026-12-05T10:00:00.000Z');
let clock = AT;
const tick = (ms) => {
  clock += ms;
  return new Date(clock).toISOString();
};

// What a compute's dnf upgrade leaves as its last lines (the output pane shows the block's log).
const DNF_TAIL = ['Upgraded:', '  openstack-nova-compute-29.0.1-1.el9.noarch', '  python3-nova-29.0.1-1.el9.noarch', 'Complete!'];

/** The frame of a fleet block over `hosts` hosts, and the host results that move it on. */
export async function openFleetFrame({ hosts, columns = 80, rows = 24, maxFps = 30 }) {
  const file = `/bench/fleet-${hosts}.md`;
  const runbook = parseRunbook(
    fleetRunbookText({
      blocks: 1,
      pattern: 'computes',
      attrs: 'batch=1,25% max-fail=10%',
      code: 'sudo dnf -y update openstack-nova-compute',
    }),
    file,
  );
  const step = runbook.steps[0];
  const block = step.blocks[0];
  const ids = { step: step.id, block: block.id };
  const names = fleetHostNames(hosts).map((h) => h.replace(/^h/, 'cmp-'));
  const batches = planBatches(names, block.attrs.fleet.batches);

  let state = initialRunState(runbook, {
    id: '20261205T100000Z-f1a2',
    operator: 'jdoe',
    host: 'deploy-1',
    profile: null,
    vars: {},
    at: tick(0),
  });
  const apply = (event) => {
    state = reduce(state, event);
  };
  apply({ type: 'step-started', step: step.id, at: tick(100) });
  apply({ type: 'block-started', ...ids, hash: blockHash(block), log: `logs/${block.id}.1.log`, at: tick(40) });
  apply({
    type: 'fleet-planned',
    ...ids,
    hosts: batches.flatMap((inBatch, i) => inBatch.map((host) => ({ host, batch: i + 1 }))),
    at: tick(900),
  });

  // The host results to come, batch after batch; past the last batch, the block runs again from the first.
  let batch = 0;
  let running = [];
  let finished = 0;
  const log = [];
  const startBatch = () => {
    batch = (batch % batches.length) + 1;
    running = [...batches[batch - 1]];
    apply({ type: 'hosts-started', ...ids, hosts: running, batch, execution: 1, at: tick(3000) });
  };
  const finishOne = () => {
    if (running.length === 0) startBatch();
    const host = running.shift();
    finished++;
    const fails = finished % 97 === 0;
    const durationMs = 20_000 + ((finished * 7919) % 40_000);
    apply({
      type: 'host-finished',
      ...ids,
      host,
      status: fails ? 'failed' : 'ok',
      rc: fails ? 1 : 0,
      ...(fails ? { reason: 'exit 1, expected 0' } : {}),
      tail: fails ? ['Error: Transaction test error:', '  file /usr/lib/python3.9/site-packages/nova conflicts'] : DNF_TAIL,
      durationMs,
      at: tick(200),
    });
    log.push(
      `${host}: ${fails ? 'failed rc=1' : 'ok rc=0'} ${durationMs}ms`,
      ...(fails ? [] : DNF_TAIL.map((line) => `${host} stdout| ${line}`)),
    );
    if (log.length > 200) log.splice(0, log.length - 200);
    return host;
  };
  startBatch();
  finishOne();
  startBatch();

  // The controller's part: the session's runbook and variables, and a snapshot per notify.
  const listeners = new Set();
  let snapshot;
  let version = 0;
  const since = Date.now();
  const build = () => {
    const next = nextAction(runbook, state);
    const decisions = decisionsFor(runbook, state, next, { busy: true, mask: (text) => text });
    snapshot = {
      state,
      next: decisions.action,
      decisions,
      busy: true,
      running: { step, block, since },
      prompt: null,
      message: null,
      selected: 0,
      selecting: 'items',
      host: null,
      browsing: null,
      picking: null,
      help: false,
      output: {
        block: block.id,
        lines: log.map((text) => ({ stream: 'stdout', text })),
        scrolledBack: 0,
        total: log.length,
        attempt: null,
        search: null,
      },
      version: version++,
      quit: false,
    };
  };
  build();
  const controller = {
    session: {
      runbook,
      vars: { values: {}, sources: {}, secretNames: [], secretValues: [], warnings: [] },
      notices: [],
      paths: { dir: '/bench/run' },
      describeBlock: () => block.code,
      shownValues: () => ({}),
    },
    typing: false,
    asking: false,
    logPath: null,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
  };

  // The terminal: ink writes a frame in one call (between the escapes of a synchronized update, and
  // the cursor's, written apart); the first write with text after a notify is its frame.
  let waiting = null;
  let lastWrite = performance.now();
  let frame = '';
  const terminal = new Terminal(columns, rows, (text) => {
    lastWrite = performance.now();
    if (text.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '').trim() === '') return;
    frame = text;
    if (waiting) {
      const { resolve, start } = waiting;
      waiting = null;
      resolve(lastWrite - start);
    }
  });
  const app = render(React.createElement(App, { controller, durations: new Map() }), {
    stdout: terminal,
    stderr: new Terminal(columns, rows, () => {}),
    stdin: new Keyboard(),
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps,
  });

  // ink draws at most maxFps frames a second: a change within 1/maxFps s of the last frame waits
  // for the next. The real TUI notifies at most 10 times a second (UiController's OUTPUT_NOTIFY_MS),
  // so each of its frames is drawn at once; here too, by waiting that long after the last write.
  const quiet = Math.ceil(1000 / maxFps) + 5;
  const settle = async () => {
    for (let gap = performance.now() - lastWrite; gap < quiet; gap = performance.now() - lastWrite)
      await new Promise((resolve) => setTimeout(resolve, quiet - gap));
  };
  const notify = () => {
    const written = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame written within 5 s of the update (${hosts} hosts)`)), 5000);
      waiting = {
        start: performance.now(),
        resolve: (ms) => {
          clearTimeout(timer);
          resolve(ms);
        },
      };
    });
    build();
    for (const listener of listeners) listener();
    return written;
  };
  await settle();
  return {
    hosts,
    /** One host's result, then its frame: { ms, host, ok, frame }. */
    async update() {
      await settle();
      const host = finishOne();
      const ms = await notify();
      const counts = {};
      for (const h of state.steps[0].blocks[0].hosts) counts[h.status] = (counts[h.status] ?? 0) + 1;
      return { ms, host, counts, frame };
    },
    close() {
      app.unmount();
      app.cleanup();
    },
  };
}
