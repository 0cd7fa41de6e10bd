/**
 * The output pane shows a block's output as it was printed (issue 12, items 1, 2 and 9b): tabs
 * expanded to the next 8-column stop after the sanitiser and before ink measures the line, and
 * every stderr line marked with a glyph that survives NO_COLOR.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputPane } from '../../src/ui/components/OutputPane.js';
import type { PaneLine } from '../../src/ui/controller.js';
import { KEY, useScreens } from './harness.js';

const ui = useScreens();

function pane(lines: PaneLine[], width = 60) {
  return render(
    <OutputPane
      output={{ block: 'tables', lines, scrolledBack: 0, total: lines.length, attempt: null }}
      running={false}
      width={width}
      height={lines.length + 1}
    />,
  );
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('tabs', () => {
  it('reproduced: `host\\tcmp-5` showed as `host\\tcmp-` (a character lost per tab); now the tab is spaces up to column 8', () => {
    const rows = ['host\tcmp-5', 'count\t40', 'TABLE_COLLATION\tlatin1_swedish_ci', 'size_mib\tvalue', 'a\tb\tc'];
    const { lastFrame, unmount } = pane(rows.map((text) => ({ text, stream: 'stdout' })));
    const frame = lastFrame() ?? '';
    expect(frame).toContain('  host    cmp-5\n');
    expect(frame).toContain('  count   40\n');
    expect(frame).toContain('  TABLE_COLLATION latin1_swedish_ci\n');
    expect(frame).toContain('  size_mib        value\n');
    expect(frame).toContain('  a       b       c');
    expect(frame).not.toContain('\t');
    unmount();
  });

  it('are expanded after the sanitiser: a control shown as a picture takes its column, a kept colour takes none', () => {
    const { lastFrame, unmount } = pane([
      { text: 'x\x1b]0;T\x07\ty', stream: 'stdout' },
      { text: '\x1b[31mab\x1b[0m\tc', stream: 'stdout' },
    ]);
    const frame = lastFrame() ?? '';
    // `x␛]0;T␇` is 7 columns: the tab pads it to 8 and nothing of the OSC acts.
    expect(frame).toContain('x␛]0;T␇ y');
    expect(frame).not.toContain('\x1b]');
    // ink writes the kept reset as its own (39m); what matters is that `ab` takes two columns, not eleven.
    expect(frame).toMatch(/ {2}\x1b\[31mab\x1b\[(0|39)m {6}c/);
    unmount();
  });
});

describe('stderr', () => {
  it('reproduced: stderr looked the same as stdout; now each stderr line has a `!` in the gutter, under NO_COLOR too', () => {
    vi.stubEnv('NO_COLOR', '1');
    const { lastFrame, unmount } = pane([
      { text: 'applying migration 3', stream: 'stdout' },
      { text: 'ERROR 1062: duplicate entry', stream: 'stderr' },
    ]);
    const frame = lastFrame() ?? '';
    expect(frame).toContain('\n  applying migration 3\n');
    expect(frame).toContain('\n! ERROR 1062: duplicate entry');
    expect(frame).toContain('! stderr');
    expect(frame).not.toContain('\x1b[');
    unmount();
  });
});

describe('a real block', () => {
  it('shows its tab-separated rows whole and marks the line it wrote to stderr', async () => {
    const screen = await ui.open(ui.fixture('output.md'), { columns: 160, rows: 48 });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('  done'));
    const frame = screen.frame();
    expect(frame).toContain('  host    cmp-5');
    expect(frame).toContain('  count   40');
    expect(frame).toContain('  TABLE_COLLATION latin1_swedish_ci');
    expect(frame).toContain('! table nova.instances is not utf8');
    expect(frame).toContain('  x␛]0;PWNED␇     y');
  });
});

describe('a retrying verify block', () => {
  it('reproduced: no attempt counter while it retried; now the output pane says `attempt 2/8, next in 2 s`, then the attempt it is on', async () => {
    const screen = await ui.open(ui.fixture('retry.md'), { columns: 100, rows: 30 });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/output: api-up · attempt 2\/8, next in [12] s/));
    await screen.until((f) => expect(f).toMatch(/output: api-up · attempt 3\/8, next in [12] s/), 8000);
    await screen.until((f) => expect(f).toMatch(/api-up passed/), 8000);
    expect(screen.lines('tries.txt')).toHaveLength(3);
    expect(screen.frame()).toContain('! connection refused');
  });
});
