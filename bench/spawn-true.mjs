// Baseline of the per-block overhead benchmark: what running N `true` blocks costs
// without waymark — a node process that spawns `bash -c true` N times, one after
// the other, each awaited before the next (node's start-up included, as it is in
// the headless run it is compared with).
//
//   node bench/spawn-true.mjs [N]     (default 500)
import { spawn } from 'node:child_process';

const count = Number(process.argv[2] ?? 500);
if (!(Number.isInteger(count) && count >= 1)) {
  console.error('usage: node bench/spawn-true.mjs [N]');
  process.exit(2);
}

function once() {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'true'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`bash -c true exited ${code}`))));
  });
}

for (let i = 0; i < count; i++) await once();
