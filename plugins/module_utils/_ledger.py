# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pin ledger: a durable record of every pin, written before anything else changes.

Private to the collection (underscore module). A re-run after a crash reads the ledger and resumes from
the recorded pin instead of pinning again. Backends, chosen by the ledger URI:

* ``file:///var/lib/flinkops/ledger`` (or an absolute path): one JSON file per entry;
* ``ssm:/flinkops/ledger``: one SSM parameter per entry (String, JSON);
* ``s3://bucket/prefix``: one JSON object per entry.

An entry is keyed by cluster and job name. Its ``status`` moves pinned -> restored -> done, or
pinned -> rolled_back. An unfinished entry (pinned or restored) for the same target AMI is the pin a
re-run must use; a finished one is replaced by the next pin (the previous one is kept in ``previous``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import re
import tempfile

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError
from ansible_collections.flinkops.fleet.plugins.module_utils import _storage as storage_mod

UNFINISHED = ("pinned", "restored")
MAX_TEXT = 600  # an entry must fit a standard SSM parameter (4 KB): long texts are cut
PREVIOUS_KEYS = ("status", "run_id", "checkpoint_id", "checkpoint_path", "pinned_at", "updated_at", "new_ami")
STATUSES = ("pinned", "restored", "done", "rolled_back")


class LedgerError(FlinkError):
    """The ledger could not be read or written."""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry_key(cluster, job_name):
    """A storage-safe key ``<cluster>/<job>`` (SSM allows ``a-zA-Z0-9_.-/``).

    A name that needs cleaning gets a short hash of the original appended, so that two names that clean
    to the same text ("orders enrichment", "orders_enrichment") never share an entry.
    """
    def clean(part):
        original = str(part or "")
        text = re.sub(r"[^A-Za-z0-9_.-]", "_", original).strip("._")
        if not text:
            raise LedgerError("ledger key part %r has no usable characters" % part)
        if text != original:
            text = "%s-%s" % (text or "x", hashlib.sha1(original.encode("utf-8")).hexdigest()[:8])
        return text
    return "%s/%s" % (clean(cluster), clean(job_name))


def is_resumable(entry, target_ami=None):
    """Whether ``entry`` is an unfinished pin that a re-run must continue from."""
    if not entry or entry.get("status") not in UNFINISHED:
        return False
    return target_ami is None or entry.get("new_ami") in (None, target_ami)


class FileLedger:
    def __init__(self, root):
        self.root = root

    def _path(self, key):
        return os.path.join(self.root, key + ".json")

    def get(self, key):
        try:
            with open(self._path(key), "r") as handle:
                text = handle.read()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LedgerError("cannot read ledger entry %s: %s" % (self._path(key), exc))
        return _decoded(text, self._path(key))

    def check_writable(self, key, dry=False):
        """Fail unless the entry ``key`` could be written (checked without creating anything)."""
        directory = os.path.dirname(self._path(key))
        existing = directory
        while existing and not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
            raise LedgerError("cannot write ledger entries under %s: %s is %s" % (
                directory, existing, "not a writable directory" if os.path.exists(existing) else "missing"))

    def put(self, key, entry):
        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".ledger-")
            with os.fdopen(fd, "w") as handle:
                json.dump(entry, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise LedgerError("cannot write ledger entry %s: %s" % (path, exc))

    def list(self):
        found = []
        for base, _dirs, files in os.walk(self.root):
            for name in files:
                if name.endswith(".json") and not name.startswith("."):
                    key = os.path.relpath(os.path.join(base, name), self.root)[:-5]
                    found.append(key)
        return sorted(found)


class SsmLedger:
    def __init__(self, prefix, aws):
        if not storage_mod.load_boto3():
            raise LedgerError("boto3 is required for an ssm: ledger")
        self.prefix = "/" + prefix.strip("/")
        self.ssm = storage_mod.aws_client("ssm", aws or {}, "open the ssm:%s ledger" % self.prefix)

    def _name(self, key):
        return "%s/%s" % (self.prefix, key)

    def get(self, key):
        try:
            answer = self.ssm.get_parameter(Name=self._name(key))
        except storage_mod.botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise LedgerError("cannot read ledger parameter %s: %s" % (self._name(key), exc))
        except storage_mod.botocore.exceptions.BotoCoreError as exc:
            raise LedgerError("cannot read ledger parameter %s: %s" % (self._name(key), exc))
        return _decoded(answer["Parameter"]["Value"], "parameter " + self._name(key))

    def check_writable(self, key, dry=False):
        """Fail unless entries can be written: a probe parameter next to ``key`` is written and deleted (not when
        ``dry``: check mode writes nothing)."""
        if dry:
            return
        probe = self._name(key) + ".probe"
        try:
            self.ssm.put_parameter(Name=probe, Value="{}", Type="String", Overwrite=True)
            self.ssm.delete_parameter(Name=probe)
        except (storage_mod.botocore.exceptions.ClientError, storage_mod.botocore.exceptions.BotoCoreError) as exc:
            raise LedgerError("cannot write ledger parameters under %s: %s" % (self.prefix, exc))

    def put(self, key, entry):
        try:
            self.ssm.put_parameter(Name=self._name(key), Value=json.dumps(entry, sort_keys=True), Type="String",
                                   Overwrite=True)
        except (storage_mod.botocore.exceptions.ClientError, storage_mod.botocore.exceptions.BotoCoreError) as exc:
            raise LedgerError("cannot write ledger parameter %s: %s" % (self._name(key), exc))

    def list(self):
        def pages():
            keys = []
            for page in self.ssm.get_paginator("get_parameters_by_path").paginate(Path=self.prefix, Recursive=True):
                keys.extend(p["Name"][len(self.prefix) + 1:] for p in page.get("Parameters", []))
            return sorted(keys)
        return _listed("ledger parameters under %s" % self.prefix, pages)


class S3Ledger:
    def __init__(self, uri, aws):
        self.store = storage_mod.S3Storage(uri, aws=aws)

    def _key(self, key):
        return "/".join(p for p in (self.store.prefix.strip("/"), key + ".json") if p)

    def get(self, key):
        try:
            answer = self.store.s3.get_object(Bucket=self.store.bucket, Key=self._key(key))
        except storage_mod.botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise LedgerError("cannot read ledger object s3://%s/%s: %s" % (self.store.bucket, self._key(key), exc))
        except storage_mod.botocore.exceptions.BotoCoreError as exc:
            raise LedgerError("cannot read ledger object s3://%s/%s: %s" % (self.store.bucket, self._key(key), exc))
        return _decoded(answer["Body"].read().decode("utf-8", "replace"), "s3://%s/%s" % (self.store.bucket, self._key(key)))

    def check_writable(self, key, dry=False):
        """Fail unless entries can be written: a probe object next to ``key`` is written and deleted (not when
        ``dry``: check mode writes nothing)."""
        if dry:
            return
        probe = self._key(key)[:-len(".json")] + ".probe"
        try:
            self.store.s3.put_object(Bucket=self.store.bucket, Key=probe, Body=b"{}")
            self.store.s3.delete_object(Bucket=self.store.bucket, Key=probe)
        except (storage_mod.botocore.exceptions.ClientError, storage_mod.botocore.exceptions.BotoCoreError) as exc:
            raise LedgerError("cannot write ledger objects in s3://%s: %s" % (self.store.bucket, exc))

    def put(self, key, entry):
        try:
            self.store.s3.put_object(Bucket=self.store.bucket, Key=self._key(key),
                                     Body=json.dumps(entry, sort_keys=True).encode("utf-8"), ContentType="application/json")
        except (storage_mod.botocore.exceptions.ClientError, storage_mod.botocore.exceptions.BotoCoreError) as exc:
            raise LedgerError("cannot write ledger object s3://%s/%s: %s" % (self.store.bucket, self._key(key), exc))

    def list(self):
        prefix = self.store.prefix.strip("/")

        def pages():
            keys = []
            paginator = self.store.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.store.bucket, Prefix=prefix + "/" if prefix else ""):
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(prefix) + 1 if prefix else 0:]
                    if name.endswith(".json"):
                        keys.append(name[:-5])
            return sorted(keys)
        return _listed("ledger objects under s3://%s/%s" % (self.store.bucket, prefix), pages)


def _decoded(text, where):
    """A ledger entry from its JSON text (a corrupt one is a LedgerError naming ``where``)."""
    try:
        entry = json.loads(text)
    except ValueError as exc:
        raise LedgerError("cannot read ledger entry %s: it is no JSON (%s)" % (where, exc))
    if not isinstance(entry, dict):
        raise LedgerError("cannot read ledger entry %s: it is no JSON object" % where)
    return entry


def _listed(what, pages):
    """Run a boto3 pagination (``pages``: a callable) as a LedgerError on failure."""
    try:
        return pages()
    except (storage_mod.botocore.exceptions.ClientError, storage_mod.botocore.exceptions.BotoCoreError) as exc:
        raise LedgerError("cannot list %s: %s" % (what, exc))


def open_ledger(uri, aws=None):
    """The ledger backend for ``uri`` (file path, ``file://``, ``ssm:/prefix`` or ``s3://bucket/prefix``)."""
    if not uri:
        raise LedgerError("no ledger location given")
    if uri.startswith("ssm:"):
        prefix = uri[len("ssm:"):].strip("/")
        if not prefix or not re.match(r"^[A-Za-z0-9_.\-/]+$", prefix):
            raise LedgerError("invalid SSM ledger prefix in %r" % uri)
        return SsmLedger(prefix, aws)
    scheme, location = storage_mod.split_uri(uri)
    if scheme == "file":
        return FileLedger(location)
    return S3Ledger(uri, aws)


def record_pin(ledger, key, pin, cluster, job_name, run_id=None, old_ami=None, new_ami=None, extra=None):
    """Write a new pinned entry (the previous finished entry is kept as ``previous``); returns it."""
    previous = ledger.get(key)
    entry = dict(
        cluster=cluster, job_name=job_name, status="pinned", run_id=run_id, old_ami=old_ami, new_ami=new_ami,
        old_job_id=pin.get("job_id"), checkpoint_id=pin.get("id"), checkpoint_path=pin.get("external_path"),
        checkpoint_kind=pin.get("kind"), pinned_at=utc_now(), updated_at=utc_now(),
    )
    entry.update(extra or {})
    if previous:
        entry["previous"] = dict((k, previous.get(k)) for k in PREVIOUS_KEYS)
    entry = bounded(entry)
    ledger.put(key, entry)
    return entry


def bounded(entry):
    """The entry with every long text cut to MAX_TEXT characters (a standard SSM parameter holds 4 KB)."""
    def cut(value):
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return value[:MAX_TEXT - 3] + "..."
        if isinstance(value, dict):
            return dict((k, cut(v)) for k, v in value.items())
        return value
    return cut(entry)


# what a status change never rewrites: the pin itself, whose entry it is, and the bookkeeping
RESERVED_FIELDS = ("status", "cluster", "job_name", "old_job_id", "checkpoint_id", "checkpoint_path", "checkpoint_kind",
                   "pinned_at", "updated_at", "previous")


def field_errors(fields):
    """Why extra ``fields`` of a status change cannot be stored (empty list = fine)."""
    reserved = sorted(k for k in fields or {} if k in RESERVED_FIELDS)
    if reserved:
        return ["fields %s are the ledger's own (the pin and its bookkeeping) and cannot be set" % ", ".join(reserved)]
    return []


def update_status(ledger, key, status, fields=None):
    """Move an entry to ``status`` with extra ``fields``; returns ``(entry, changed)``."""
    if status not in STATUSES:
        raise LedgerError("unknown ledger status %r (one of %s)" % (status, ", ".join(STATUSES)))
    errors = field_errors(fields)
    if errors:
        raise LedgerError("; ".join(errors))
    fields = fields or {}
    entry = ledger.get(key)
    if entry is None:
        raise LedgerError("no ledger entry %s to mark %s" % (key, status))
    if entry.get("status") not in UNFINISHED and status in UNFINISHED:
        raise LedgerError("ledger entry %s is %s: marking it %s would reopen it, and a later run would resume from its old "
                          "pin %s although the job has moved on since (a new pin writes a new entry)" % (
                              key, entry.get("status"), status, entry.get("checkpoint_path")))
    wanted = bounded(dict(fields, status=status))
    if all(entry.get(k) == v for k, v in wanted.items()):
        return entry, False
    entry.update(wanted)
    entry["updated_at"] = utc_now()
    entry = bounded(entry)
    ledger.put(key, entry)
    return entry, True


def pin_from_entry(entry):
    """The pin dict (pinned_checkpoint shape) recorded in a ledger entry."""
    return dict(id=entry.get("checkpoint_id"), external_path=entry.get("checkpoint_path"),
                kind=entry.get("checkpoint_kind") or "checkpoint", job_id=entry.get("old_job_id"),
                job_name=entry.get("job_name"), is_final=True, source="ledger")
