/**
 * Issue 13, headless: one line per fleet host result as it arrives, from the host's checkpointed
 * record (masked by the engine), each field one line of inert text.
 */
import { describe, expect, it } from 'vitest';
import { hostLine, hostLines, hostNameWidth } from '../../src/cli/host-lines.js';
import { fleetRun, hostFinished, hostsStarted, twelveHosts } from '../engine/fleet-fixtures.js';

const hostsOf = (state = twelveHosts()) => state.steps[0]!.blocks[0]!.hosts!;
const host = (name: string, state = twelveHosts()) => hostsOf(state).find((h) => h.host === name)!;

describe('headless lines for fleet hosts', () => {
  it('says the host, its status, rc, batch, time and why it failed, on one line', () => {
    const width = hostNameWidth(hostsOf());
    expect(hostLine(host('cmp-03'), width)).toMatch(/^ {3}cmp-03 {2}failed +rc=1 +batch 2 {2}1\.2s {2}exit 1, expected 0$/);
    expect(hostLine(host('cmp-01'), width)).toMatch(/^ {3}cmp-01 {2}ok +rc=0 +batch 1 {2}1\.2s$/);
    expect(hostLine(host('cmp-04'), width)).toMatch(
      /^ {3}cmp-04 {2}unreachable +rc=- +batch 2 {2}1\.2s {2}ssh: connect to host 127\.0\.0\.5 port 2222: Connection refused$/,
    );
  });

  it('lines up the columns of a block whose host names differ in length', () => {
    const names = ['c1', 'compute-long-name-07'];
    const state = fleetRun(
      names,
      1,
      hostsStarted(1, 'c1'),
      hostFinished('c1', 'ok', 0),
      hostsStarted(2, 'compute-long-name-07'),
      hostFinished('compute-long-name-07', 'failed', 2),
    );
    const width = hostNameWidth(hostsOf(state));
    const [short, long] = names.map((n) => hostLine(host(n, state), width));
    expect(short!.indexOf('ok')).toBe(long!.indexOf('failed'));
  });

  it('a failed host without a reason shows its last line of output', () => {
    const state = fleetRun(
      ['a', 'b'],
      1,
      hostsStarted(1, 'a'),
      hostFinished('a', 'failed', null, { tail: ['first', 'Permission denied (publickey)'] }),
    );
    expect(hostLine(host('a', state))).toMatch(/failed +rc=- +batch 1 {2}1\.2s {2}Permission denied \(publickey\)$/);
  });

  it('a host name or reason from outside never starts a line of its own nor reaches the terminal as a control', () => {
    const evil = 'cmp-9\n\u001B]0;owned\u0007';
    const state = fleetRun([evil], 1, hostsStarted(1, evil), hostFinished(evil, 'failed', 1, { reason: 'exit 1\r\nfake: ok' }));
    const line = hostLine(host(evil, state));
    expect(line.split('\n')).toHaveLength(1);
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(line).toContain('␛]0;owned␇');
  });

  it('with --output, the last lines of the host output follow, marked with the host', () => {
    expect(hostLines(host('cmp-03'), 6, true)).toEqual([
      hostLine(host('cmp-03'), 6),
      '   | cmp-03: Reading package lists...',
      '   | cmp-03: E: nova-compute 29.0 conflicts with python3-nova 27.1',
    ]);
    expect(hostLines(host('cmp-03'), 6, false)).toHaveLength(1);
  });
});
