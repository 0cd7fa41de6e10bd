/**
 * V8's young generation during `waymark lint` (src/cli/route.ts). V8 starts it at 1 MB and grows it
 * up to 16 MB while objects survive. Each new page of it is a page fault, which costs about 10 µs on
 * the virtual machines waymark is measured on: for a short lint of a large runbook body, growing
 * it costs more than it saves (lint-2000: 14,600 page faults against 9,800 held). A long parse
 * that allocates heavily gains from the larger young generation instead (fewer collections), and
 * YAML front matter is that (vars-200k: 5,977 scavenges and 10.0 s held, 378 and 8.0 s let grow;
 * bench/RESULTS.md). V8 reads the flag at each growth, so a change takes effect from then on.
 */
import { setFlagsFromString } from 'node:v8';

/** Keep the young generation at the size it has now. */
export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Let the young generation grow again as V8 would (its default growth factor, 2), for the rest of
 * the process; without a hold, nothing changes. (The bin and the lint script are bundled apart, so
 * this keeps no state of its own.) The code cache is checked against the flags a command starts
 * with and is saved only when it had none that fitted: a release costs one extra compile at most.
 */
export function releaseYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
}

/** Front matter above this many characters is parsed with the young generation let grow. */
export const LARGE_FRONT_MATTER = 256 * 1024;
