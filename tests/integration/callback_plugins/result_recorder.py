# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test-only callback: append every task result to a JSON Lines file.

ansible-core ships no JSON stdout callback (``ansible.posix.json`` is in another
collection), and the integration tests want the human output and the task results of
the same run. This notification callback writes one JSON object per task result to
the file named by ENTRA_TEST_RESULTS_FILE and leaves stdout to the stdout callback.
Results are recorded as callbacks receive them, so values hidden by no_log stay hidden.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: result_recorder
type: notification
short_description: Append every task result to a JSON Lines file
description:
  - Used by the collection's integration tests only.
  - Writes one JSON object per task result, with the keys C(task), C(role), C(host), C(status) and C(result), to
    the file named by the environment variable E(ENTRA_TEST_RESULTS_FILE). Does nothing when it is not set.
requirements:
  - enable in configuration
"""

import json
import os

from ansible.plugins.callback import CallbackBase

RESULTS_FILE_VARIABLE = "ENTRA_TEST_RESULTS_FILE"


def _public(result, name):
    # ansible-core 2.19 made task, host and result public properties of callback results;
    # older releases only have the underscore names.
    value = getattr(result, name, None)
    if value is None:
        value = getattr(result, "_" + name)
    return value


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "result_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get(RESULTS_FILE_VARIABLE)

    def _record(self, result, status):
        if not self._path:
            return
        task = _public(result, "task")
        role = task._role.get_name(include_role_fqcn=False) if task._role else None
        entry = {
            "task": result.task_name,
            "role": role,
            "host": _public(result, "host").get_name(),
            "status": status,
            "result": _public(result, "result"),
        }
        with open(self._path, "a") as handle:
            handle.write(json.dumps(entry, default=str, sort_keys=True) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
