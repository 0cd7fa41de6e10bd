/**
 * The build emits the TUI once (issue 11, design point 5): in dist/cli/tui.vm.js, the script
 * main.js runs every TUI session from (src/ui/load-tui.ts). Reproduced before the fix: the ES
 * module chunks held a second copy of it (chunks/app-*.js, chunks/controller-*.js, ink and React)
 * that nothing loads, because cli/run.ts imports ui/start.js for its TUI branch, and tsc's copies
 * of the faces (dist/ui/app.js, dist/ui/controller.js) were a third.
 *
 * It reads the build under test, as the e2e tests do: run `npm run build` first
 * (WAYMARK_TEST_BIN=/path/to/cli/main.js points at another build's dist/).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../support/binary.js';
const DIST = resolve(dirname(BIN), '..');
const SCRIPT = join(DIST, 'cli', 'tui.vm.js');

/** Text only the TUI carries: its controller (src/ui/controller.ts), and React, which nothing else uses. */
const TUI_MARKS = [/\bUiController\b/, /react\.transitional\.element/];

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

function holdsTui(file: string): boolean {
  const text = readFileSync(file, 'utf8');
  return TUI_MARKS.some((mark) => mark.test(text));
}

describe('the build', () => {
  if (!existsSync(BIN) || !existsSync(SCRIPT))
    throw new Error(`${BIN} or ${SCRIPT} is missing: build waymark first with \`npm run build\``);

  it('has the TUI in exactly one file of dist/, dist/cli/tui.vm.js', () => {
    const holders = filesUnder(DIST)
      .filter(holdsTui)
      .map((file) => relative(DIST, file));
    expect(holders).toEqual(['cli/tui.vm.js']);
    // Both marks, so that a mark the build no longer emits cannot make this pass.
    const script = readFileSync(SCRIPT, 'utf8');
    for (const mark of TUI_MARKS) expect(script).toMatch(mark);
  });

  it('runs main.js, a CommonJS bin, in strict mode as the ES module it was: "use strict" is its first statement', () => {
    // Reproduced before the fix: the banner's statement came first, so esbuild's directive after it
    // was a plain string and main.js ran in sloppy mode.
    const main = readFileSync(BIN, 'utf8');
    expect(main).toMatch(/^#![^\n]*\n"use strict";/);
  });

  it("leaves a stand-in in the module chunks' `run` that says where the TUI is, if it is ever reached", async () => {
    const runModule = join(DIST, 'cli', 'modules', 'run.mjs');
    expect(existsSync(runModule), `the run command's module ${runModule}`).toBe(true);
    const { runCommand } = (await import(pathToFileURL(runModule).href)) as {
      runCommand: (argv: string[], out: NodeJS.WritableStream) => Promise<number>;
    };
    const out = new Writable({ write: (_chunk, _encoding, done) => done() });
    // Without --headless, run.ts asks for ui/start.js: main.js never sends such a run here.
    await expect(runCommand([join(ROOT, 'test/fixtures/engine/complete.md')], out)).rejects.toThrow(/dist\/cli\/tui\.vm\.js/);
  });
});
