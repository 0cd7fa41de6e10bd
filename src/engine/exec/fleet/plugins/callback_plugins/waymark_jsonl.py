# waymark's stdout callback: one JSON object a line, per host, as Ansible decides each host's status.
# Shipped with waymark (src/engine/exec/fleet/plugins/), copied beside each generated playbook.
#
# It writes to the real stdout, never through Ansible's Display, so an operator's log_path does not
# receive these lines. With no_log, the results it is given are censored by Ansible (TaskResult.clean_copy):
# it then reports only the status, the timing and Ansible's notice; the host's rc and output reach
# waymark from the waymark_run action plugin instead, over waymark's own socket.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
    name: waymark_jsonl
    type: stdout
    short_description: per-host events for waymark, one JSON object a line
    description:
        - Prints start, ok, failed, unreachable and skipped events per host, and the stats at the end.
'''

import json
import sys
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'waymark_jsonl'

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._started = {}

    def _emit(self, event):
        sys.stdout.write(json.dumps(event, ensure_ascii=True, default=str) + '\n')
        sys.stdout.flush()

    def _result(self, status, result):
        host = result._host.get_name()
        started = self._started.pop(host, None)
        event = {'event': status, 'host': host}
        if started is not None:
            event['durationMs'] = round((time.monotonic() - started) * 1000, 1)
        fields = result._result
        for key in ('rc', 'stdout', 'stdout_dropped', 'stderr', 'msg', 'censored'):
            if key in fields:
                event[key] = fields[key]
        self._emit(event)

    def v2_runner_on_start(self, host, task):
        self._started[host.get_name()] = time.monotonic()
        self._emit({'event': 'start', 'host': host.get_name()})

    def v2_runner_on_ok(self, result, **kwargs):
        self._result('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result('failed', result)

    def v2_runner_on_unreachable(self, result):
        self._result('unreachable', result)

    def v2_runner_on_skipped(self, result):
        self._result('skipped', result)

    def v2_playbook_on_no_hosts_matched(self):
        self._emit({'event': 'no_hosts_matched'})

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for host in sorted(stats.processed.keys()):
            hosts[host] = stats.summarize(host)
        self._emit({'event': 'stats', 'hosts': hosts})
