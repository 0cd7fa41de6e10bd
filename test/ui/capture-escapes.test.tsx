/**
 * A captured value is what a command printed (docs/capture.md), so it can hold escape sequences: a
 * host's banner with OSC 52 (`ESC ] 52 ; c ; … BEL`) writes the operator's clipboard, `ESC [ 2J`
 * clears the screen. Reproduced: a shell block captures such output; the next step's prose, its
 * checklist item, the block's variables row and its confirmation screen all show it. Each must
 * show the sequence inert (`␛]52;c;…␇`, src/runbook/inert.ts), and no raw ESC or BEL may reach
 * the terminal. A newline in a value stays in its line (`␊`). Escapes did not leak (every string
 * goes through ui/inert-text's Text, the prose through the Markdown renderer's inert source), but a
 * captured newline started a line of the prose's own: `[x] every host is drained` stood under the
 * step's text, though nobody ticked it. withValues now fills values in inert, on one line.
 */
import { describe, expect, it } from 'vitest';
import { KEY, flat, useScreens } from './harness.js';

const ui = useScreens();

describe('a captured value holding escape sequences', () => {
  it('is shown inert in the prose, the checklist and the variables row, and the terminal is not driven', async () => {
    const screen = await ui.open(ui.fixture('capture-escapes.md'), { columns: 120, rows: 30 });
    screen.press('a');
    await screen.until((f) => expect(f).toMatch(/✓ +RUN +session/));
    screen.press(KEY.enter);
    const shown = 'host-␛]52;c;cHduZWQ=␇-␛[2J-end';
    await screen.until((f) => expect(flat(f)).toContain(`The host printed ${shown}. The banner reads db-7␊ [x] every host is drained.`));
    const frame = screen.live();
    // The checklist item, with the capture and the secret capture masked.
    expect(flat(frame)).toContain(`[ ] The host ${shown} is drained, session ••••`);
    // A newline in the value stays in its item: no row of its own that reads like a ticked item.
    expect(flat(frame)).toContain('[ ] The banner says db-7␊ [x] every host is drained');
    expect(frame).not.toMatch(/^\W*\[x\] every host is drained/m);
    // The block's variables row.
    expect(frame).toContain(`CLIP=${shown}`);
    expect(frame).not.toContain('${CLIP}');
    // Nothing the terminal would act on: no OSC, no clear screen, no BEL (only SGR styling is left after plain()).
    const whole = screen.frame();
    expect(whole).not.toContain('\u001B]');
    expect(whole).not.toContain('\u001B[2J');
    expect(whole).not.toContain('\u0007');
    expect(whole).not.toContain('s3cr3t-t0ken-value');

    // The confirmation screen's variables row, before the block that uses it runs.
    screen.press(KEY.space, KEY.down, KEY.space);
    await screen.until((f) => expect(flat(f)).toContain('[x] The banner says'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('This block needs your confirmation.'));
    expect(flat(screen.live())).toContain(`with CLIP="${shown}"`);
    expect(screen.frame()).not.toContain('\u001B]');
    expect(screen.frame()).not.toContain('\u0007');
  });
});
