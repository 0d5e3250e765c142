# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FlinkModule: the base every flinkops.fleet module is built on.

Private to the collection (underscore module). It adds the shared connection options (documented in
the ``flinkops.fleet.flink`` doc fragment), builds one FlinkClient from them and turns FlinkError into
``fail_json`` with the URL, HTTP status and Flink's own message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import (
    FlinkClient,
    FlinkError,
    HistoryServerClient,
)


def flink_argument_spec():
    """The connection options shared by every module (a new dict on each call)."""
    return dict(
        url=dict(type="str", aliases=["rest_url"], fallback=(env_fallback, ["FLINK_REST_URL"])),
        token=dict(type="str", no_log=True, aliases=["api_token"], fallback=(env_fallback, ["FLINK_API_TOKEN"])),
        username=dict(type="str", fallback=(env_fallback, ["FLINK_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["FLINK_PASSWORD"])),
        headers=dict(type="dict"),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["FLINK_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["FLINK_CA_PATH"])),
        client_cert=dict(type="path", fallback=(env_fallback, ["FLINK_CLIENT_CERT"])),
        client_key=dict(type="path", no_log=False, fallback=(env_fallback, ["FLINK_CLIENT_KEY"])),
        request_timeout=dict(type="float", default=10.0, fallback=(env_fallback, ["FLINK_REQUEST_TIMEOUT"])),
        retries=dict(type="int", default=3),
    )


CONNECTION_KEYS = ("url", "token", "username", "password", "headers", "validate_certs", "ca_path",
                   "client_cert", "client_key", "request_timeout", "retries")


def client_from_params(params, prefix="", history_server=False):
    """Build a FlinkClient (a HistoryServerClient with ``history_server``) from module params.

    ``prefix`` selects e.g. ``target_url`` style options.
    """
    opts = dict((key, params.get(prefix + key)) for key in CONNECTION_KEYS)
    return (HistoryServerClient if history_server else FlinkClient)(
        opts["url"], token=opts["token"], username=opts["username"], password=opts["password"],
        headers=opts["headers"], validate_certs=opts["validate_certs"] if opts["validate_certs"] is not None else True,
        ca_path=opts["ca_path"], client_cert=opts["client_cert"], client_key=opts["client_key"],
        timeout=opts["request_timeout"] or 10.0, retries=3 if opts["retries"] is None else opts["retries"],
    )


# Lower bounds of the numeric options the modules share by name: (bound, whether the bound itself is allowed).
# A timeout of 0 or less would act (trigger, cancel, submit) and then give up at once; checked before anything runs.
LOWER_BOUNDS = {
    "timeout": (0, False), "request_timeout": (0, False), "target_request_timeout": (0, False), "max_age": (0, False),
    "max_checkpoint_age": (0, False), "retries": (0, True), "target_retries": (0, True), "watch_seconds": (0, True),
    "parallelism": (1, True),
}
# Options naming a place in the cluster's storage: Flink resolves a relative path against the JobManager's working
# directory, so a relative one would land somewhere nobody chose (or miss the snapshot meant).
# (``path``: the savepoint flink_savepoint disposes; the JobManager would delete a relative one from its own directory.)
LOCATION_OPTIONS = ("target_directory", "checkpoint_dir", "target_checkpoint_dir", "savepoint_dir", "restore_from", "path")
LOCATION_RE = re.compile(r"^(/|[A-Za-z][A-Za-z0-9+.-]*:/)")
# TLS files, read on the first request: named here rather than in the TLS library's "[Errno 2] No such file".
# (``ca_path`` may be a directory of hashed CA certificates.)
TLS_FILE_OPTIONS = ("ca_path", "client_cert", "client_key", "target_ca_path", "target_client_cert", "target_client_key")
# Options holding a Flink id (32 hex digits): compared with what Flink lists, which is lower case.
HEX_ID_OPTIONS = ("job_id", "trigger_id")
# Options that select or name a job: an empty one (a template that rendered to nothing) selects nothing.
NAME_OPTIONS = ("name", "job_name", "job_id")


def bound_errors(values, bounds, prefix=""):
    """Messages for the ``values`` (a dict; None values are skipped) below their ``bounds`` (``{name: (bound, whether
    the bound itself is allowed)}``), or not numbers; ``prefix`` goes before each name (a role's variable prefix)."""
    errors = []
    for name, (bound, inclusive) in sorted(bounds.items()):
        value = values.get(name)
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors.append("%s%s must be a number (got %r)" % (prefix, name, value))
            continue
        if number < bound or (number == bound and not inclusive):
            errors.append("%s%s must be %s %s (got %s)" % (prefix, name, ">=" if inclusive else "greater than", bound, value))
    return errors


def option_errors(params):
    """What is wrong with the shared numeric and location options of ``params`` (a list of messages)."""
    errors = bound_errors(params, LOWER_BOUNDS)
    for name in TLS_FILE_OPTIONS:
        value = params.get(name)
        if value and not os.path.exists(value):
            errors.append("%s %s does not exist" % (name, value))
        elif value and name != "ca_path" and not os.path.isfile(value):
            errors.append("%s %s is not a file" % (name, value))
    for name in NAME_OPTIONS:
        value = params.get(name)
        if isinstance(value, str) and not value.strip():
            errors.append("%s must not be empty" % name)
    for name in LOCATION_OPTIONS:
        value = params.get(name)
        if isinstance(value, dict):  # restore_from given as a pin or checkpoint dict
            value = value.get("external_path") or value.get("path")
        if isinstance(value, str) and value and not LOCATION_RE.match(value):
            errors.append("%s must be an absolute path or a URI such as s3://bucket/path (got %r; Flink would resolve it "
                          "against the JobManager's working directory)" % (name, value))
    return errors


class FlinkModule(AnsibleModule):
    """AnsibleModule with the Flink connection options and one lazily built FlinkClient."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = flink_argument_spec()
        spec.update(argument_spec or {})
        kwargs.setdefault("supports_check_mode", True)
        super(FlinkModule, self).__init__(argument_spec=spec, **kwargs)
        self._client = None
        for name in HEX_ID_OPTIONS:
            value = self.params.get(name)
            if isinstance(value, str) and re.match(r"^\s*[0-9a-fA-F]{32}\s*$", value):
                self.params[name] = value.strip().lower()  # Flink accepts either case and answers in lower case
        errors = option_errors(self.params)
        if errors:
            self.fail_json(msg="; ".join(errors))

    @property
    def client(self):
        """The FlinkClient for ``url`` (built on first use; a module that needs no REST never asks for it)."""
        if self._client is None:
            if not self.params.get("url"):
                self.fail_json(msg="missing the Flink REST URL: set the url option or the FLINK_REST_URL environment variable")
            try:
                self._client = client_from_params(self.params)
            except FlinkError as exc:
                self.fail_flink(exc)
        return self._client

    def fail_flink(self, exc, **result):
        """fail_json from a FlinkError: msg names URL, status and Flink's message."""
        fields = exc.to_result()
        fields.update(result)
        self.fail_json(msg=str(exc), **fields)

    def run(self, action):
        """Run ``action(self)`` (returns a result dict) and exit; FlinkError becomes a clean failure."""
        try:
            result = action(self)
        except FlinkError as exc:
            self.fail_flink(exc)
        for warning in result.pop("warnings", None) or []:  # what the action wants the user to see
            self.warn(warning)
        self.exit_json(**result)


def job_argument_spec():
    """Options that select one job: by id, or by name (names survive restarts, ids do not)."""
    return dict(
        job_id=dict(type="str"),
        job_name=dict(type="str", aliases=["name"]),
    )


def aws_storage_argument_spec():
    """AWS options to read ``s3://`` checkpoint/savepoint storage, documented in flinkops.fleet.aws_storage."""
    return dict(
        aws_region=dict(type="str", aliases=["region"], fallback=(env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])),
        aws_profile=dict(type="str", aliases=["profile"], fallback=(env_fallback, ["AWS_PROFILE"])),
        aws_endpoint_url=dict(type="str", aliases=["endpoint_url"], fallback=(env_fallback, ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])),
        aws_access_key=dict(type="str", no_log=True, aliases=["access_key"]),
        aws_secret_key=dict(type="str", no_log=True, aliases=["secret_key"]),
        aws_session_token=dict(type="str", no_log=True, aliases=["session_token"]),
    )


def aws_options(params):
    """The storage AWS options as the dict _storage.open_storage takes."""
    return dict(region=params.get("aws_region"), profile=params.get("aws_profile"),
                endpoint_url=params.get("aws_endpoint_url"), access_key=params.get("aws_access_key"),
                secret_key=params.get("aws_secret_key"), session_token=params.get("aws_session_token"))


def select_job(module):
    """The job chosen by ``job_id`` / ``job_name`` (a /jobs/overview entry); fails cleanly when ambiguous."""
    return module.client.resolve_job(job_id=module.params.get("job_id"), name=module.params.get("job_name"))


def ledger_argument_spec():
    """Options that record a pin in the pin ledger (documented in flinkops.fleet.ledger)."""
    return dict(
        ledger=dict(type="str"),
        cluster=dict(type="str"),
        run_id=dict(type="str"),
        old_ami=dict(type="str"),
        new_ami=dict(type="str"),
    )
