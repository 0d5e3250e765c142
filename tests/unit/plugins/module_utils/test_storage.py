# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_storage.py: URI parsing and file:// / s3:// (moto, in process) scans."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _storage as storage

JOB = "9860134a8d22a0a256732c13d2ce2201"


@pytest.mark.parametrize("uri, expected", [
    ("file:/x", ("file", "/x")),
    ("file:///x", ("file", "/x")),
    ("file:///x/y/", ("file", "/x/y")),
    ("file://localhost/x/y", ("file", "/x/y")),
    ("FILE:/x", ("file", "/x")),
    ("/x/./y/../z", ("file", "/x/z")),
    ("file:////x", ("file", "/x")),
    ("s3://bucket/prefix/", ("s3", "bucket/prefix")),
    ("s3://bucket", ("s3", "bucket/")),
    ("s3a://my-bucket.v2/a/b", ("s3", "my-bucket.v2/a/b")),
    ("s3p://abc/k", ("s3", "abc/k")),
])
def test_split_uri(uri, expected):
    assert storage.split_uri(uri) == expected


@pytest.mark.parametrize("uri, needle", [
    ("file://host/x", "names host 'host'"),
    ("file://10.0.0.5/data", "only local paths"),
    ("relative/path", "neither an absolute path"),
    ("", "empty"),
    (None, "empty"),
    ("s3://Bad_Bucket!/x", "malformed S3 URI"),
    ("s3://UPPER/x", "malformed S3 URI"),
    ("s3://ab/x", "malformed S3 URI"),
    ("s3://-bucket/x", "malformed S3 URI"),
    ("s3:///x", "malformed S3 URI"),
    ("s3:bucket/x", "malformed S3 URI"),
    ("s3://" + "a" * 64 + "/x", "malformed S3 URI"),
    ("gs://bucket/x", "unsupported storage scheme 'gs'"),
    ("hdfs://nn/flink", "unsupported"),
])
def test_split_uri_refuses(uri, needle):
    with pytest.raises(storage.StorageError) as err:
        storage.split_uri(uri)
    assert needle in str(err.value)


def test_join_and_job_root():
    assert storage.join("s3://b/p/", "/j/", "chk-1") == "s3://b/p/j/chk-1"
    assert storage.job_checkpoint_root("file:///c/", JOB) == "file:///c/" + JOB
    assert storage.job_checkpoint_root("file:///c/" + JOB + "/", JOB) == "file:///c/" + JOB


def _chk(root, checkpoint_id, complete=True, mtime=None):
    path = os.path.join(root, JOB, "chk-%d" % checkpoint_id)
    os.makedirs(path, exist_ok=True)
    if complete:
        meta = os.path.join(path, "_metadata")
        with open(meta, "wb") as handle:
            handle.write(b"x")
        if mtime:
            os.utime(meta, (mtime, mtime))
    return path


def test_scan_checkpoints_file(tmp_path):
    root = str(tmp_path)
    _chk(root, 7)
    _chk(root, 12)
    _chk(root, 9)
    _chk(root, 13, complete=False)  # in flight
    os.makedirs(os.path.join(root, JOB, "shared"))
    os.makedirs(os.path.join(root, JOB, "taskowned"))
    os.makedirs(os.path.join(root, JOB, "chk-x"))
    with open(os.path.join(root, JOB, "chk-99"), "w", encoding="utf-8") as handle:  # a file, not a checkpoint
        handle.write("")
    for base in (root, "file://" + root, "file:" + root, "file://" + root + "/" + JOB):
        store = storage.open_storage(base)
        assert isinstance(store, storage.FileStorage)
        store.check_readable()
        found = storage.scan_checkpoints(store, base, JOB)
        assert [(c["id"], c["complete"]) for c in found] == [(13, False), (12, True), (9, True), (7, True)]
        assert found[1]["path"] == "file:%s/%s/chk-12" % (root, JOB)
        assert found[0]["metadata_time"] is None and found[1]["metadata_time"] > 0
    store = storage.open_storage(root)
    assert storage.scan_checkpoints(store, root, "f" * 32) == []
    assert store.exists("file://%s/%s/chk-12" % (root, JOB)) and not store.exists(root + "/nope")
    assert store.metadata_time("file:%s/%s/chk-12" % (root, JOB)) > 0
    assert store.metadata_time("file:%s/%s/chk-13" % (root, JOB)) is None
    assert store.metadata_time("file:%s/%s/chk-404" % (root, JOB)) is None
    with pytest.raises(storage.StorageError):
        store.metadata_time("s3://bucket/x")


def test_file_storage_not_readable(tmp_path):
    missing = storage.open_storage(str(tmp_path / "missing"))
    with pytest.raises(storage.StorageError) as err:
        missing.check_readable()
    assert "does not exist" in str(err.value)
    assert missing.list_dirs(str(tmp_path / "missing")) == {}
    regular = tmp_path / "file"
    regular.write_text("x")
    with pytest.raises(storage.StorageError):
        storage.open_storage("file://" + str(regular)).check_readable()


def test_scan_savepoints_file(tmp_path):
    root = str(tmp_path)
    now = time.time()
    for name, age, meta in (("savepoint-986013-0123456789ab", 30, True), ("savepoint-986013-aaaaaaaaaaaa", 10, True),
                            ("savepoint-986013-bbbbbbbbbbbb", 5, False), ("savepoint-123456-cccccccccccc", 1, True),
                            ("not-a-savepoint", 1, True)):
        path = os.path.join(root, name)
        os.makedirs(path)
        if meta:
            with open(os.path.join(path, "_metadata"), "wb") as handle:
                handle.write(b"x")
            os.utime(os.path.join(path, "_metadata"), (now - age, now - age))
    store = storage.open_storage(root)
    mine = storage.scan_savepoints(store, "file://" + root, JOB)
    assert [s["name"] for s in mine] == ["savepoint-986013-aaaaaaaaaaaa", "savepoint-986013-0123456789ab"]
    assert mine[0]["path"] == "file:%s/savepoint-986013-aaaaaaaaaaaa" % root
    everything = storage.scan_savepoints(store, root)
    assert [s["name"] for s in everything][0] == "savepoint-123456-cccccccccccc" and len(everything) == 3


# ------------------------------------------------------------------------------------------------ s3 (moto)
@pytest.fixture
def s3_bucket(monkeypatch):
    moto = pytest.importorskip("moto")
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    with moto.mock_aws():
        import boto3  # pylint: disable=import-outside-toplevel

        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="flink-state")
        yield client


def test_scan_checkpoints_s3(s3_bucket):
    for key in ("ck/%s/chk-4/_metadata" % JOB, "ck/%s/chk-4/state-1" % JOB, "ck/%s/chk-5/_metadata" % JOB,
                "ck/%s/chk-6/state-1" % JOB, "ck/%s/shared/x" % JOB, "ck/%s/chk-3/_metadata" % ("f" * 32),
                "sp/savepoint-986013-0123456789ab/_metadata", "sp/savepoint-986013-ffffffffffff/part"):
        s3_bucket.put_object(Bucket="flink-state", Key=key, Body=b"x")
    store = storage.open_storage("s3://flink-state/ck", aws=dict(region="us-east-1"))
    assert isinstance(store, storage.S3Storage)
    store.check_readable()
    found = storage.scan_checkpoints(store, "s3://flink-state/ck/", JOB)
    assert [(c["id"], c["complete"]) for c in found] == [(6, False), (5, True), (4, True)]
    assert found[1]["path"] == "s3://flink-state/ck/%s/chk-5" % JOB
    assert store.metadata_time(found[1]["path"]) > 0 and store.metadata_time(found[0]["path"]) is None
    assert store.exists("s3://flink-state/ck/%s/chk-4" % JOB) and not store.exists("s3://flink-state/ck/none")
    savepoints = storage.scan_savepoints(storage.open_storage("s3a://flink-state/sp"), "s3a://flink-state/sp", JOB)
    assert [s["name"] for s in savepoints] == ["savepoint-986013-0123456789ab"]
    with pytest.raises(storage.StorageError) as err:
        store.metadata_time("s3://other-bucket/x")
    assert "not in bucket" in str(err.value)


def test_s3_missing_bucket_is_a_storage_error(s3_bucket):
    store = storage.open_storage("s3://no-such-bucket/ck")
    with pytest.raises(storage.StorageError) as err:
        store.check_readable()
    assert "no-such-bucket" in str(err.value)
    with pytest.raises(storage.StorageError):
        storage.scan_checkpoints(store, "s3://no-such-bucket/ck", JOB)
    assert s3_bucket is not None


def test_an_empty_or_odd_metadata_is_no_complete_snapshot(tmp_path):
    """Flink writes ``_metadata`` last and never empty: an empty one, or a directory by that name, is in no way
    restorable, in a checkpoint or a savepoint directory."""
    root = str(tmp_path)
    _chk(root, 6)
    with open(os.path.join(_chk(root, 7, complete=False), "_metadata"), "wb"):
        pass  # 0 bytes: a write cut short
    os.makedirs(os.path.join(_chk(root, 8, complete=False), "_metadata"))
    os.symlink(os.path.join(root, JOB, "chk-6", "_metadata"), os.path.join(_chk(root, 9, complete=False), "_metadata"))
    store = storage.open_storage(root)
    found = storage.scan_checkpoints(store, root, JOB)
    assert [(c["id"], c["complete"]) for c in found] == [(9, True), (8, False), (7, False), (6, True)]
    for checkpoint_id in (7, 8):
        assert store.metadata_time("file:%s/%s/chk-%d" % (root, JOB, checkpoint_id)) is None
    sp_root = tmp_path / "sp"
    empty = sp_root / "savepoint-986013-0123456789ab"
    empty.mkdir(parents=True)
    (empty / "_metadata").write_bytes(b"")
    assert storage.scan_savepoints(storage.open_storage(str(sp_root)), str(sp_root), JOB) == []


def test_s3_empty_metadata_and_exact_existence(s3_bucket):
    for key, body in (("ck/%s/chk-4/_metadata" % JOB, b"x"), ("ck/%s/chk-5/_metadata" % JOB, b""),
                      ("sp/savepoint-986013-0123456789abcd/_metadata", b"x"), ("sp/file-object", b"x"),
                      ("sp/savepoint-986013-00000000000a/_metadata", b"")):
        s3_bucket.put_object(Bucket="flink-state", Key=key, Body=body)
    store = storage.open_storage("s3://flink-state/ck")
    found = storage.scan_checkpoints(store, "s3://flink-state/ck", JOB)
    assert [(c["id"], c["complete"]) for c in found] == [(5, False), (4, True)]
    assert store.metadata_time("s3://flink-state/ck/%s/chk-5" % JOB) is None
    assert store.metadata_time("s3://flink-state/ck/%s/chk-4" % JOB) > 0
    sp_store = storage.open_storage("s3://flink-state/sp")
    assert [s["name"] for s in storage.scan_savepoints(sp_store, "s3://flink-state/sp", JOB)] == ["savepoint-986013-0123456789abcd"]
    # a key that only shares a prefix is not the savepoint named
    assert not sp_store.exists("s3://flink-state/sp/savepoint-986013-0123456789ab")
    assert sp_store.exists("s3://flink-state/sp/savepoint-986013-0123456789abcd")
    assert sp_store.exists("s3://flink-state/sp/savepoint-986013-0123456789abcd/")
    assert sp_store.exists("s3://flink-state/sp/savepoint-986013-0123456789abcd/_metadata")
    assert sp_store.exists("s3://flink-state/sp/file-object") and not sp_store.exists("s3://flink-state/sp/file")


def test_local_parent_store_only_for_checkpoints_of_a_readable_job_dir(tmp_path):
    root = str(tmp_path)
    _chk(root, 3)
    store = storage.local_parent_store("file:%s/%s/chk-3" % (root, JOB))
    assert isinstance(store, storage.FileStorage) and store.metadata_time("file:%s/%s/chk-3" % (root, JOB)) > 0
    assert storage.local_parent_store("file:%s/%s/chk-4" % (root, JOB)).metadata_time("file:%s/%s/chk-4" % (root, JOB)) is None
    for uri in ("file:%s/%s/chk-3" % (root, "f" * 32),  # no such job dir here: not shared with this machine
                "file:%s/savepoint-986013-0123456789ab" % root,  # a savepoint's parent is no proof of sharing
                "s3://bucket/ck/%s/chk-3" % JOB, "relative/chk-3", "file:%s/chk-3" % root):
        assert storage.local_parent_store(uri) is None, uri
