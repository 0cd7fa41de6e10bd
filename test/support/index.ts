/**
 * test/support: the one place tests spawn the waymark binary, make temporary workspaces, wait for
 * conditions, and start MariaDB, tmux and sshd fleets (test/architecture/support.test.ts keeps it so).
 * Import from the module you need (`../support/binary.js`), or from here.
 */
export * from './binary.js';
export * from './capture.js';
export * from './ci.js';
export * from './fleet.js';
export * from './mariadb.js';
export * from './processes.js';
export * from './sshd-fleet.js';
export * from './tmux.js';
export * from './wait.js';
export * from './session.js';
export * from './workspace.js';
