/**
 * A small private SSH fleet for the fleet executor's tests: one real sshd per host on its own loopback
 * address (127.0.1.x, away from the shared test fleet's 127.0.0.x), a generated host key and client
 * key, and an inventory. Kept apart from test/support/fleet.ts (which shares testbed/fleet.mjs); `stop()` ends every process it started
 * (the servers, their sessions, and Ansible's SSH control masters for them), by pid.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** A running private fleet. */
export interface SshFleet {
  /** Inventory lines, one per host, ready to go into an ini inventory. */
  inventoryLines: string[];
  hosts: string[];
  stop(): Promise<void>;
}

async function portIsFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, address, () => probe.close(() => resolve(true)));
  });
}

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      // Ended while we looked: not a child to end.
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
  }
  return byParent;
}

function descendants(pid: number): number[] {
  const byParent = children();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const child of byParent.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Processes whose command line mentions `text` (our scratch folder), by pid. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return pids;
}

/** Start `count` sshd servers in `dir` (a scratch folder). */
export async function startSshFleet(dir: string, count: number): Promise<SshFleet> {
  mkdirSync('/run/sshd', { recursive: true });
  const keys = path.join(dir, 'keys');
  mkdirSync(keys, { mode: 0o700 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keys, 'host')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keys, 'client')]);
  writeFileSync(path.join(keys, 'authorized_keys'), readFileSync(path.join(keys, 'client.pub')));
  const addresses = Array.from({ length: count }, (_, i) => `127.0.1.${11 + i}`);
  let port = 30000 + (process.pid % 20000);
  while (!(await Promise.all(addresses.map((address) => portIsFree(address, port)))).every(Boolean)) port += 1;

  const servers: number[] = [];
  const stop = async (): Promise<void> => {
    for (const pid of servers) {
      for (const child of descendants(pid)) killQuietly(child);
      killQuietly(pid);
    }
    // Ansible's ControlPersist masters for these hosts (their ControlPath is in our folder).
    for (const pid of processesMentioning(dir)) killQuietly(pid);
  };
  try {
    for (const [index, address] of addresses.entries()) {
      const config = path.join(dir, `sshd-${index}.conf`);
      writeFileSync(
        config,
        [
          `ListenAddress ${address}`,
          `Port ${port}`,
          `HostKey ${path.join(keys, 'host')}`,
          `AuthorizedKeysFile ${path.join(keys, 'authorized_keys')}`,
          `PidFile ${path.join(dir, `sshd-${index}.pid`)}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'UsePAM no',
          'StrictModes no',
          'Subsystem sftp /usr/lib/openssh/sftp-server',
          '',
        ].join('\n'),
      );
      // -D: stays in the foreground, so its pid is ours to end.
      const server = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
      if (server.pid === undefined) throw new Error('sshd did not start');
      servers.push(server.pid);
    }
    for (const address of addresses) {
      const deadline = Date.now() + 10_000;
      while (await portIsFree(address, port)) {
        if (Date.now() > deadline) throw new Error(`sshd on ${address}:${port} did not start listening`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const control = path.join(dir, 'cp');
  mkdirSync(control, { mode: 0o700 });
  const hosts = addresses.map((_, index) => `s${index + 1}`);
  const inventoryLines = addresses.map(
    (address, index) =>
      `${hosts[index]} ansible_host=${address} ansible_port=${port} ansible_user=root ansible_ssh_private_key_file=${path.join(keys, 'client')} ansible_python_interpreter=/usr/bin/python3 ` +
      `ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' ansible_ssh_args='-o ControlMaster=auto -o ControlPersist=60s' ansible_control_path_dir=${control}`,
  );
  return { inventoryLines, hosts, stop };
}
