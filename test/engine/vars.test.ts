/** Variable sources: --var-file between the environment and --var, the TUI's prompt last, and the warning for a secret in argv. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRunbook } from '../../src/runbook/parse.js';
import { RunSession } from '../../src/engine/session.js';
import { resolveVars, unsetSecrets, type ResolvedVars } from '../../src/engine/vars.js';

const TEXT = `---
title: Vars
id: vars
vars:
  PW: { secret: true, required: true }
  TOKEN: { secret: true }
  SITE: { default: lab }
---
# Vars

## One {#one}

\`\`\`sh name=show
echo "$SITE"
\`\`\`
`;
const book = parseRunbook(TEXT, 'vars.md');
const file = (name: string, value: string) => ({ name, value, where: `pw.env:1` });

function resolved(result: ReturnType<typeof resolveVars>): ResolvedVars {
  if ('errors' in result) throw new Error(result.errors.join('\n'));
  return result;
}

describe('resolveVars', () => {
  it('ranks a --var-file above the environment and below --var', () => {
    const fromFile = resolved(
      resolveVars(book, { flags: [], files: [file('PW', 'from-file'), file('SITE', 'f')], env: { PW: 'from-env', SITE: 'e' } }),
    );
    expect(fromFile.values).toMatchObject({ PW: 'from-file', SITE: 'f' });
    expect(fromFile.sources).toMatchObject({ PW: 'file', SITE: 'file' });
    const fromFlag = resolved(resolveVars(book, { flags: ['SITE=flag'], files: [file('SITE', 'f')], env: { PW: 'x' } }));
    expect(fromFlag.values.SITE).toBe('flag');
  });

  it('takes a prompted secret only where no other source gave one', () => {
    const vars = resolved(resolveVars(book, { flags: [], env: { PW: 'from-env' }, prompted: { PW: 'typed', TOKEN: 'typed-token' } }));
    expect(vars.values).toMatchObject({ PW: 'from-env', TOKEN: 'typed-token' });
    expect(vars.sources.TOKEN).toBe('prompt');
    expect(vars.secretValues).toContain('typed-token');
  });

  it('warns about a secret given with --var, and only about that', () => {
    const vars = resolved(resolveVars(book, { flags: ['PW=argv-secret', 'SITE=x'], env: {} }));
    expect(vars.warnings).toHaveLength(1);
    expect(vars.warnings[0]).toMatch(/^secret PW was given on the command line \(--var\)/);
    expect(vars.warnings[0]).not.toContain('argv-secret');
    expect(resolved(resolveVars(book, { flags: [], files: [file('PW', 'p')], env: {} })).warnings).toEqual([]);
  });

  it('names the safer ways when a required secret has no value', () => {
    const result = resolveVars(book, { flags: [], env: {} });
    expect(result).toEqual({
      errors: [
        'required variable PW has no value: set PW in the environment, put PW=... in a --var-file, or start the TUI to be asked for it',
      ],
    });
  });

  it('lists the secrets that nothing gives, for the prompt', () => {
    expect(unsetSecrets(book, { flags: [], env: {} }).map((v) => v.name)).toEqual(['PW', 'TOKEN']);
    expect(unsetSecrets(book, { flags: ['TOKEN=t'], files: [file('PW', 'p')], env: {} })).toEqual([]);
  });
});

describe('RunSession.open with askSecrets (the TUI prompt)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks only for the secrets nothing gave, and masks what was typed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wm-vars-'));
    const runbookFile = join(dir, 'vars.md');
    writeFileSync(runbookFile, TEXT);
    const asked: string[][] = [];
    const askSecrets = vi.fn(async (secrets: { name: string }[]) => {
      asked.push(secrets.map((v) => v.name));
      return { PW: 'typed-at-the-prompt' };
    });
    const session = await RunSession.open({
      runbookFile,
      stateDir: join(dir, 'state'),
      env: { TOKEN: 'from-env-1' },
      operator: 'alice',
      askSecrets,
    });
    try {
      expect(asked).toEqual([['PW']]);
      expect(session.vars.values.PW).toBe('typed-at-the-prompt');
      expect(session.mask('pw=typed-at-the-prompt')).toBe('pw=••••');
    } finally {
      await session.close();
    }
  });
});
