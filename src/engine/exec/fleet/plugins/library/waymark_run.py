#!/usr/bin/python
# waymark's module for a fleet block: runs the block's script on the host with the block's variables
# in its environment (never in its text, never on a command line: they arrive inside the module's
# arguments, through Ansible's pipelined stdin), and returns rc with the last tail_bytes of stdout and
# stderr, and how many bytes of stdout came before its tail (stdout_dropped: expect= must not be judged
# on a part of the output as if it were all of it). A non-zero rc is a failed result, with that rc.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
module: waymark_run
short_description: run a waymark fleet block's script on a host
options:
  argv: {type: list, elements: str, required: true, description: the script's command line}
  env: {type: dict, description: variables for the script's environment}
  tail_bytes: {type: int, default: 65536, description: bytes of each stream kept}
'''

import os
import select
import selectors
import signal
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule


def _tail_text(chunks, limit, total):
    # The last `limit` bytes, and how many bytes of the stream came before them (0: all of it).
    data = b''.join(chunks)[-limit:]
    # Not from the middle of a UTF-8 character.
    start = 0
    while start < len(data) and start < 4 and (data[start] & 0xC0) == 0x80:
        start += 1
    return data[start:].decode('utf-8', errors='replace'), total - len(data) + start


# Between SIGTERM and SIGKILL when the connection is gone (waymark's own grace for a block).
KILL_GRACE_S = 5


def _connection_gone():
    # The module's stdout goes back to Ansible: a pipe to the local worker, or the SSH session's
    # channel. waymark canceling (or timing out) a batch kills ansible-playbook; over SSH the session's
    # end of that pipe is then closed, which poll() reports on ours as an error or a hang-up.
    watcher = select.poll()
    watcher.register(1, 0)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in watcher.poll(0))


def _end_session(process):
    # Our process group is the session's (sshd starts each session's command as a group leader; with a
    # local connection, ansible-playbook's, already being ended): the script and whatever it started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.killpg(os.getpgrp(), signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE_S
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _run(argv, env, limit):
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    kept = {'stdout': [], 'stderr': []}
    sizes = {'stdout': 0, 'stderr': 0}
    totals = {'stdout': 0, 'stderr': 0}
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, 'stdout')
    selector.register(process.stderr, selectors.EVENT_READ, 'stderr')
    open_streams = 2
    while open_streams > 0:
        if _connection_gone():
            _end_session(process)
        for key, _ in selector.select(timeout=0.25):
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            name = key.data
            kept[name].append(chunk)
            sizes[name] += len(chunk)
            totals[name] += len(chunk)
            # Keep at most about twice the limit in memory, however much the script prints.
            while sizes[name] - len(kept[name][0]) >= limit:
                sizes[name] -= len(kept[name].pop(0))
    stdout, dropped = _tail_text(kept['stdout'], limit, totals['stdout'])
    stderr, _ = _tail_text(kept['stderr'], limit, totals['stderr'])
    return process.wait(), stdout, stderr, dropped


def main():
    module = AnsibleModule(
        argument_spec=dict(
            argv=dict(type='list', elements='str', required=True),
            env=dict(type='dict', default={}),
            tail_bytes=dict(type='int', default=65536),
        ),
    )
    env = dict(os.environ)
    # With a local connection the module inherits ansible-playbook's environment: the script has no
    # business with waymark's result socket.
    env.pop('WAYMARK_FLEET_SOCKET', None)
    env.update((str(k), str(v)) for k, v in module.params['env'].items())
    # AnsibleModule would echo its arguments back as the result's invocation, the variables' values
    # (secrets too) included: Ansible's debug output and any callback given the raw result would have
    # them. Their names are enough.
    invocation = dict(module_args=dict(argv=module.params['argv'], env=sorted(module.params['env']), tail_bytes=module.params['tail_bytes']))
    started = time.monotonic()
    try:
        rc, stdout, stderr, stdout_dropped = _run(module.params['argv'], env, module.params['tail_bytes'])
    except OSError as error:
        module.fail_json(
            msg='cannot start %s: %s' % (module.params['argv'][0], error.strerror), rc=None, stdout='', stderr='', invocation=invocation
        )
    result = dict(
        changed=True, rc=rc, stdout=stdout, stderr=stderr, stdout_dropped=stdout_dropped, delta_ms=round((time.monotonic() - started) * 1000, 1), invocation=invocation
    )
    if rc != 0:
        module.fail_json(msg='non-zero return code %d' % rc, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
