# waymark's action for a fleet block: runs the waymark_run module on the host and hands the raw
# result (rc, stdout, stderr, msg) to waymark over waymark's own socket before Ansible sees it.
#
# Why: with secrets, the task has no_log, and Ansible censors every result before any callback
# (executor/task_result.py TaskResult.clean_copy, called by TaskQueueManager.send_callback), so no
# callback can see a host's rc or output. This action runs in Ansible's worker on the controller, the
# one place the uncensored result exists; the socket (WAYMARK_FLEET_SOCKET, in waymark's private 0700
# directory) goes to waymark only, never to a log, a display or a file. waymark acknowledges each
# result before the action returns, so the result is with waymark before the host's callback event.
#
# The same socket brings the run's secret variables, asked for each host: they are never in a file
# (the extra vars hold the others), only in this worker's memory and the module's arguments.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import socket

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase


def _exchange(message, whole_reply):
    path = os.environ.get('WAYMARK_FLEET_SOCKET')
    if not path:
        raise RuntimeError('WAYMARK_FLEET_SOCKET is not set: this action only runs under waymark')
    line = json.dumps(message, ensure_ascii=True, default=str) + '\n'
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        channel.connect(path)
        channel.sendall(line.encode('ascii'))
        if not whole_reply:
            # One byte back: waymark has the result.
            return channel.recv(1)
        reply = b''
        while True:
            chunk = channel.recv(65536)
            if not chunk:
                return reply
            reply += chunk
    finally:
        channel.close()


def _report(host, fields):
    _exchange(dict(fields, host=host), False)


def _secrets():
    reply = json.loads(_exchange({'want': 'secrets'}, True).decode('utf-8'))
    return dict((str(k), str(v)) for k, v in reply['secrets'].items())


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('argv', 'env', 'batch', 'tail_bytes'))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        host = task_vars.get('inventory_hostname')
        args = self._task.args
        env = dict((str(k), str(v)) for k, v in (args.get('env') or {}).items())
        env.update(_secrets())
        env['WAYMARK_HOST'] = str(host)
        env['WAYMARK_BATCH'] = str(args.get('batch', ''))
        module_args = {'argv': [str(word) for word in args.get('argv') or []], 'env': env, 'tail_bytes': int(args.get('tail_bytes', 65536))}
        try:
            module = self._execute_module(module_name='waymark_run', module_args=module_args, task_vars=task_vars)
        except AnsibleConnectionFailure as error:
            _report(host, {'unreachable': True, 'msg': str(error)})
            raise
        _report(host, {
            'rc': module.get('rc'),
            'stdout': module.get('stdout', ''),
            'stdout_dropped': module.get('stdout_dropped', 0),
            'stderr': module.get('stderr', ''),
            'msg': module.get('msg', ''),
            'failed': bool(module.get('failed')),
            'unreachable': bool(module.get('unreachable')),
        })
        result.update(module)
        return result
