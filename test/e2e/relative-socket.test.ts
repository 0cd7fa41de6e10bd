/**
 * A relative `?socket=` resolves against the runbook's folder, as a shell block's working directory
 * does: the same `../../state/testbed/mysqld.sock` reaches the server from a `sql` block and from the
 * `mariadb` client in a shell block, whatever directory waymark was started from.
 *
 * Reproduced: the socket resolved against waymark's own working directory, so a runbook in a
 * subfolder, run from elsewhere, could not connect (`could not connect ... socket`), while its shell
 * blocks, running in the runbook's folder, found the server with the same path.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithMariaDb } from '../support/mariadb.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-rs-');

const RUNBOOK = `---
title: Relative socket
id: relative-socket
vars:
  DB_SOCKET:
    required: true
    description: the server's socket, relative to this runbook's folder
connections:
  db: mysql://root@localhost/information_schema?socket=\${DB_SOCKET}
---
# Relative socket

## The server answers {#answers}

\`\`\`sh check name=shell-sees-it
mariadb --no-defaults --socket="$DB_SOCKET" --user=root --batch --skip-column-names -e "SELECT 'shell reached it'"
\`\`\`

\`\`\`sql check name=sql-sees-it expect=value:reached
SELECT 'reached' AS answer FROM DUAL
\`\`\`
`;

describeWithMariaDb('a relative ?socket=', (server) => {
  it('resolves against the runbook folder when waymark runs from another directory', async () => {
    const folder = ws().path('books/openstack');
    mkdirSync(folder, { recursive: true });
    const book = join(folder, 'relative.md');
    ws().write('books/openstack/relative.md', RUNBOOK);
    const socket = relative(folder, server().socketPath);
    expect(socket.startsWith('..')).toBe(true);

    // waymark runs in the workspace, two folders above the runbook.
    const result = await ws().run(book, ['--var', `DB_SOCKET=${socket}`, '--output']);
    expect(result.stdout).toContain('shell reached it');
    expect(result.code, result.all).toBe(0);
    expect(result.stdout).toMatch(/ok check sql-sees-it/);
    expect(result.stdout).toContain('complete');
  }, 60_000);

  it('an absolute socket is used as written', async () => {
    ws().write('absolute.md', RUNBOOK);
    const result = await ws().run(ws().path('absolute.md'), ['--var', `DB_SOCKET=${server().socketPath}`]);
    expect(result.code, result.all).toBe(0);
  }, 60_000);
});
