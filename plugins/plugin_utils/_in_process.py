# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a flinkops.fleet module inside the worker process Ansible forked for the task (private to the collection).

Every module of the collection talks to HTTP APIs (Flink's REST API, S3, SSM) from wherever it runs, and plays run
them on the controller (``connection: local``, ``delegate_to: localhost``). There a module task still pays Ansible's
module start-up: a new Python process that compiles the module payload's imports from source (a zip import keeps no
bytecode) - about 0.25 s per task on two cores, most of what a task costs. On a handover's critical path (the fence
task, then the restore task) that is most of what the collection adds to Flink's own downtime.

When the task would run the module on the controller anyway - the local connection, no become, no async, the
controller's own Python - the action plugin of each module imports the module and runs its ``main()`` in the task's
worker process instead (as ansible.netcommon does for network modules): the arguments are built and serialized as for a
module process (check mode, no_log, diff, ...), AnsibleModule validates them the same way, and the module's JSON answer
is parsed as Ansible parses a module's output. Anything else - another connection, become, async, a task
``timeout``, another Python interpreter, ansible-core before 2.19 or ``flinkops_in_process: false`` - runs the module
as a process, as before.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import io
import json
import os
import sys
import traceback

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

try:  # ansible-core 2.19+: module arguments and results travel through a serialization profile
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # older: run the module as a process
    Direction = get_module_encoder = None

display = Display()

# the serialization profile of modules that declare none (all of this collection's)
PROFILE = "legacy"
# the variable that turns the in-process run off (any level: -e, host, play, task vars)
SWITCH = "flinkops_in_process"


def refusal(enabled, transport, become, async_val, interpreter, executable, has_profiles, task_timeout=0):
    """Why the task cannot run its module in the worker process (a string), or None when it can.

    ``interpreter``: the task's Python interpreter setting (``ansible_python_interpreter`` or the configuration, already
    templated; ``auto*`` means discovery); ``executable``: the controller's Python.
    """
    if not has_profiles:
        return "ansible-core before 2.19"
    if not enabled:
        return "%s is false" % SWITCH
    if transport != "local":
        return "the connection is %s, not local" % transport
    if become:
        return "become is on"
    if async_val:
        return "the task is async"
    if task_timeout:  # Ansible's task timeout interrupts the worker: it must not land inside the module's own handling
        return "the task has a timeout"
    if interpreter and not str(interpreter).startswith("auto") and not same_python(str(interpreter), executable):
        return "the task's Python is %s, not the controller's %s" % (interpreter, executable)
    return None


def same_python(one, other):
    """Whether two interpreter paths run the same Python with the same packages: the same binary, named from the same
    directory (a virtualenv's bin/python links to the system binary, but brings its own site-packages)."""
    try:
        return (os.path.dirname(os.path.abspath(one)) == os.path.dirname(os.path.abspath(other))
                and os.path.samefile(one, other))
    except OSError:
        return False


def switched_on(value):
    """The value of ``flinkops_in_process`` as a bool (unset: on)."""
    return True if value is None else boolean(value, strict=False)


class InProcessAction(NormalAction):
    """The action plugin of a flinkops.fleet module: runs it in the worker process when it can (see above)."""

    def module_fqn(self):
        """The import name of the module this action plugin belongs to (the plugin shares the module's name)."""
        return type(self).__module__.replace(".plugins.action.", ".plugins.modules.")

    def interpreter(self, task_vars):
        """The Python the module process would use: the ansible_python_interpreter variable or the configuration (of
        the host the task is delegated to, if it is, as ActionBase._configure_module picks it)."""
        if self._task.delegate_to:
            task_vars = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
        value = task_vars.get("ansible_python_interpreter")
        if value is None:
            from ansible import constants as C  # pylint: disable=import-outside-toplevel
            value = C.config.get_config_value("INTERPRETER_PYTHON", variables=task_vars)
        if isinstance(value, str) and "{{" in value:
            value = self._templar.template(value)
        return value

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        why_not = refusal(
            switched_on(task_vars.get(SWITCH)), getattr(self._connection, "transport", None), self._play_context.become,
            self._task.async_val, self.interpreter(task_vars), sys.executable, get_module_encoder is not None,
            getattr(self._task, "timeout", 0))
        if why_not:
            display.vvv("flinkops.fleet: %s runs as a module process: %s" % (self._task.action, why_not))
            return super(InProcessAction, self).run(tmp, task_vars)
        display.vvv("flinkops.fleet: %s runs in the worker process" % self._task.action)
        result = super(NormalAction, self).run(tmp, task_vars)  # pylint: disable=bad-super-call  # ActionBase's checks
        result.update(self.run_in_process(task_vars))
        return result

    def run_in_process(self, task_vars):
        """Run the module's main() here, as a module process would run it; its parsed answer."""
        module_args = dict(self._task.args)
        self._update_module_args(self._task.action, module_args, task_vars)
        payload = json.dumps(dict(ANSIBLE_MODULE_ARGS=module_args), cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE))
        environment = {}
        self._compute_environment_string(environment)
        rc, stdout, stderr = run_main(self.module_fqn(), payload.encode("utf-8"), environment)
        data = self._parse_returned_data(dict(rc=rc, stdout=stdout, stderr=stderr), PROFILE)
        return finish(data)


def run_main(module_fqn, payload, environment):
    """Import ``module_fqn`` and run its main() with ``payload`` (the module's JSON arguments) and the task's
    ``environment`` over this process's; returns ``(rc, stdout, stderr)`` as a module process would."""
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

    saved_env = dict(os.environ)
    saved_streams = sys.stdout, sys.stderr
    stdout, stderr = io.StringIO(), io.StringIO()
    forget_messages()  # a loop runs every item in the same worker: each starts as a fresh module process would
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = payload, PROFILE  # what AnsibleModule reads its arguments from
    rc = 0
    try:
        os.environ.update(dict((str(k), str(v)) for k, v in environment.items()))
        sys.stdout, sys.stderr = stdout, stderr
        importlib.import_module(module_fqn).main()
        rc = 1  # a module exits; one that returns has not answered
        stderr.write("module %s returned without exiting\n" % module_fqn)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # pylint: disable=broad-except  # a module process would die with this traceback
        rc = 1
        stderr.write(traceback.format_exc())
    finally:
        sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        basic._ANSIBLE_ARGS = basic._ANSIBLE_PROFILE = None
        forget_messages()
    return rc, stdout.getvalue(), stderr.getvalue()


def forget_messages():
    """Drop the warnings and deprecations a module run left in this process (AnsibleModule keeps them process-wide
    and answers all of them: the next item of a loop, run here too, would repeat them)."""
    from ansible.module_utils.common import warnings as module_warnings  # pylint: disable=import-outside-toplevel

    for name in ("_global_warnings", "_global_deprecations"):
        getattr(module_warnings, name, {}).clear()


def finish(data):
    """What ActionBase._execute_module does with a parsed module answer: internal keys out, output split in lines."""
    from ansible.vars.clean import remove_internal_keys  # pylint: disable=import-outside-toplevel

    remove_internal_keys(data)
    for stream in ("stdout", "stderr"):
        if stream in data and stream + "_lines" not in data:
            data[stream + "_lines"] = (data.get(stream) or "").splitlines()
    return data
