# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listing Flink checkpoint and savepoint storage on ``file://`` and ``s3://``.

Private to the collection (underscore module). Flink writes a checkpoint to
``<checkpoint dir>/<job id>/chk-<N>/`` and marks it complete-able by writing ``_metadata`` last; a
savepoint goes to ``<savepoint dir>/savepoint-<first 6 chars of job id>-<12 hex>/_metadata``.
A listing is immediate, unlike the REST checkpoint statistics (cached for seconds).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat
import traceback

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError

CHK_RE = re.compile(r"^chk-(\d+)$")
JOB_DIR_RE = re.compile(r"^[0-9a-f]{32}$")
SAVEPOINT_RE = re.compile(r"^savepoint-([0-9a-f]{6})-[0-9a-f]+$")
S3_SCHEMES = ("s3", "s3a", "s3p")

# boto3 is imported on first use (load_boto3): the import costs every module task 0.1-0.3 s of start-up, on the
# critical path of a job's downtime, and file:// storage and local ledgers never need it.
boto3 = None
botocore = None
HAS_BOTO3 = None  # unknown until load_boto3()
BOTO3_IMPORT_ERROR = None


def load_boto3():
    """Import boto3 and botocore.exceptions (once); returns whether they are available."""
    global boto3, botocore, HAS_BOTO3, BOTO3_IMPORT_ERROR
    if HAS_BOTO3 is None:
        try:
            import boto3
            import botocore.exceptions

            HAS_BOTO3 = True
        except ImportError:  # pragma: no cover - exercised through missing_required_lib
            HAS_BOTO3 = False
            BOTO3_IMPORT_ERROR = traceback.format_exc()
    return HAS_BOTO3


class StorageError(FlinkError):
    """Snapshot storage could not be read (missing dir, permissions, malformed URI, AWS error)."""


def split_uri(uri):
    """``(scheme, location)`` of a storage URI; a plain absolute path is ``file``.

    ``file:/x``, ``file:///x`` and ``/x`` give ``("file", "/x")``; ``s3://bucket/key`` gives ``("s3", "bucket/key")``.
    """
    if not uri or not isinstance(uri, str):
        raise StorageError("empty storage location")
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$", uri)
    if not match:
        if uri.startswith("/"):
            return "file", os.path.normpath(uri)
        raise StorageError("storage location %r is neither an absolute path nor a file:// or s3:// URI" % uri)
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme == "file":
        path = re.sub(r"^/+", "/", rest)
        if rest.startswith("//") and not rest.startswith("///"):
            # file://host/path: only the local host is readable here
            host, _sep, tail = rest[2:].partition("/")
            if host not in ("", "localhost"):
                raise StorageError("file URI %r names host %r; only local paths can be read" % (uri, host))
            path = "/" + tail
        return "file", os.path.normpath(path)
    if scheme in S3_SCHEMES:
        s3 = re.match(r"^//([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?$", rest)
        if not s3:
            raise StorageError("malformed S3 URI %r: expected s3://bucket/prefix with a valid bucket name" % uri)
        return "s3", "%s/%s" % (s3.group(1), (s3.group(2) or "").strip("/"))
    raise StorageError("unsupported storage scheme %r in %r (supported: file, s3, s3a, s3p)" % (scheme, uri))


def join(uri, *parts):
    return "/".join([uri.rstrip("/")] + [p.strip("/") for p in parts if p])


class FileStorage:
    scheme = "file"

    def __init__(self, uri):
        self.uri = uri
        self.root = split_uri(uri)[1]

    def _path(self, uri):
        scheme, path = split_uri(uri)
        if scheme != "file":
            raise StorageError("%s is not a file:// location" % uri)
        return path

    def check_readable(self):
        if not os.path.isdir(self.root):
            raise StorageError("checkpoint storage %s does not exist or is not a directory" % self.uri)
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise StorageError("checkpoint storage %s is not readable" % self.uri)

    def list_dirs(self, uri):
        """``{name: has _metadata}`` for the sub-directories of ``uri`` (empty if it does not exist)."""
        path = self._path(uri)
        try:
            names = os.listdir(path)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StorageError("cannot list %s: %s" % (uri, exc))
        found = {}
        for name in names:
            full = os.path.join(path, name)
            if os.path.isdir(full):
                found[name] = _metadata_mtime(os.path.join(full, "_metadata"))
        return found

    def exists(self, uri):
        return os.path.exists(self._path(uri))

    def metadata_time(self, uri):
        """mtime (epoch seconds) of ``<uri>/_metadata``, or None when it is not there."""
        return _metadata_mtime(os.path.join(self._path(uri), "_metadata"))

    def external(self, uri):
        """A snapshot path in the form Flink prints (``file:/...``)."""
        return "file:" + self._path(uri)


def _metadata_mtime(path):
    """mtime of a ``_metadata`` file, or None when there is none that could be complete.

    Flink writes ``_metadata`` last and never leaves it empty; an empty one (a write cut short, a crash before the
    flush, a stray ``touch``) or one that is not a regular file cannot be restored from.
    """
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return None
    return info.st_mtime


def aws_client(service, aws, what):
    """A boto3 client for ``service`` from the modules' AWS options (a profile that does not exist, say, is a
    StorageError naming ``what`` it was for)."""
    try:
        session = boto3.session.Session(profile_name=aws.get("profile") or None)
        return session.client(
            service,
            region_name=aws.get("region") or None,
            endpoint_url=aws.get("endpoint_url") or None,
            aws_access_key_id=aws.get("access_key") or None,
            aws_secret_access_key=aws.get("secret_key") or None,
            aws_session_token=aws.get("session_token") or None,
        )
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise StorageError("cannot %s: %s" % (what, exc))


class S3Storage:
    scheme = "s3"

    def __init__(self, uri, aws=None):
        if not load_boto3():
            raise StorageError("boto3 is required to read %s" % uri)
        self.uri = uri
        scheme, location = split_uri(uri)
        self.bucket, _sep, self.prefix = location.partition("/")
        aws = aws or {}
        self.s3 = aws_client("s3", aws, "read %s" % uri)

    def _key(self, uri):
        scheme, location = split_uri(uri)
        bucket, _sep, key = location.partition("/")
        if scheme != "s3" or bucket != self.bucket:
            raise StorageError("%s is not in bucket %s" % (uri, self.bucket))
        return key

    def _call(self, what, fn, **kwargs):
        try:
            return fn(**kwargs)
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            raise StorageError("cannot %s s3://%s: %s %s" % (what, self.bucket, err.get("Code"), err.get("Message")))
        except botocore.exceptions.BotoCoreError as exc:
            raise StorageError("cannot %s s3://%s: %s" % (what, self.bucket, exc))

    def check_readable(self):
        self._call("read bucket", self.s3.head_bucket, Bucket=self.bucket)

    def list_dirs(self, uri):
        key = self._key(uri).strip("/")
        prefix = key + "/" if key else ""
        found = {}
        paginator = self.s3.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    rest = obj["Key"][len(prefix):]
                    name, _sep, tail = rest.partition("/")
                    if not tail:
                        continue
                    if tail == "_metadata" and obj.get("Size"):
                        found[name] = _epoch(obj.get("LastModified"))
                    else:
                        found.setdefault(name, None)
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            raise StorageError("cannot list s3://%s/%s: %s %s" % (self.bucket, prefix, err.get("Code"), err.get("Message")))
        except botocore.exceptions.BotoCoreError as exc:
            raise StorageError("cannot list s3://%s/%s: %s" % (self.bucket, prefix, exc))
        return found

    def exists(self, uri):
        """Whether ``uri`` is an object or a "directory" (a prefix ``uri/``); ``.../sp-1`` is not ``.../sp-12``."""
        key = self._key(uri).strip("/")
        if not key:
            return True  # the bucket itself (check_readable tells whether it can be read)
        answer = self._call("list", self.s3.list_objects_v2, Bucket=self.bucket, Prefix=key + "/", MaxKeys=1)
        return bool(answer.get("Contents")) or self._head(key) is not None

    def metadata_time(self, uri):
        head = self._head(self._key(uri).strip("/") + "/_metadata")
        if not head or not head.get("ContentLength"):
            return None  # none, or an empty one: no complete snapshot (see _metadata_mtime)
        return _epoch(head.get("LastModified"))

    def _head(self, key):
        """HEAD of an object (None when there is no such object)."""
        try:
            return self.s3.head_object(Bucket=self.bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError("cannot read s3://%s/%s: %s" % (self.bucket, key, exc))
        except botocore.exceptions.BotoCoreError as exc:  # no credentials, endpoint unreachable, ...
            raise StorageError("cannot read s3://%s/%s: %s" % (self.bucket, key, exc))

    def external(self, uri):
        return "s3://%s/%s" % (self.bucket, self._key(uri).strip("/"))


def _epoch(stamp):
    return stamp.timestamp() if stamp is not None else 0.0


def open_storage(uri, aws=None):
    """A FileStorage or S3Storage for ``uri`` (raises StorageError on a malformed or unsupported URI)."""
    scheme = split_uri(uri)[0]
    if scheme == "file":
        return FileStorage(uri)
    return S3Storage(uri, aws=aws)


def local_parent_store(uri):
    """A FileStorage for a ``file:`` checkpoint path whose job directory this machine can read, else None.

    The checkpoint directory itself may be gone (that is what is checked); the job's directory ``<dir>/<job id>``
    exists here only when the storage is shared with this machine (a savepoint's parent is a generic directory that
    may exist on both sides, so savepoints are not checked this way).
    """
    try:
        scheme, path = split_uri(uri)
    except StorageError:
        return None
    parent = os.path.dirname(path.rstrip("/"))
    if scheme != "file" or not CHK_RE.match(os.path.basename(path)) or not JOB_DIR_RE.match(os.path.basename(parent)):
        return None
    if not os.path.isdir(parent) or not os.access(parent, os.R_OK | os.X_OK):
        return None
    return FileStorage("file://" + parent)


def job_checkpoint_root(base_uri, job_id):
    """``<base>/<job_id>``; a base that already ends with the job id is used as it is."""
    base = base_uri.rstrip("/")
    return base if base.endswith("/" + job_id) else join(base, job_id)


def scan_checkpoints(storage, base_uri, job_id):
    """Checkpoints of a job in storage: list of ``dict(id, path, complete, metadata_time)``, newest first.

    ``complete`` means ``_metadata`` exists (Flink writes it last); a ``chk-N`` without it is in flight
    (or was abandoned).
    """
    root = job_checkpoint_root(base_uri, job_id)
    found = []
    for name, mtime in storage.list_dirs(root).items():
        match = CHK_RE.match(name)
        if match:
            found.append(dict(id=int(match.group(1)), path=storage.external(join(root, name)),
                              complete=mtime is not None, metadata_time=mtime))
    return sorted(found, key=lambda c: c["id"], reverse=True)


def scan_savepoints(storage, base_uri, job_id=None):
    """Savepoints under a savepoint dir (only the job's when ``job_id`` is given), newest first."""
    found = []
    for name, mtime in storage.list_dirs(base_uri).items():
        match = SAVEPOINT_RE.match(name)
        if not match or mtime is None:
            continue
        if job_id and not job_id.startswith(match.group(1)):
            continue
        found.append(dict(path=storage.external(join(base_uri, name)), metadata_time=mtime, name=name))
    return sorted(found, key=lambda s: s["metadata_time"], reverse=True)
