# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_ledger.py: file backend on a temp dir, SSM and S3 backends on moto (in process)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import re

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _ledger as ledger_mod

JOB = "9860134a8d22a0a256732c13d2ce2201"
PIN = dict(id=9, external_path="file:/c/%s/chk-9" % JOB, kind="checkpoint", job_id=JOB, job_name="orders")
PIN2 = dict(id=15, external_path="file:/c/%s/chk-15" % ("b" * 32), kind="checkpoint", job_id="b" * 32, job_name="orders")


@pytest.mark.parametrize("cluster, job, expected", [
    ("prod-eu", "orders", "prod-eu/orders"),
    ("prod eu/1", "orders enrichment:v2", r"prod_eu_1-[0-9a-f]{8}/orders_enrichment_v2-[0-9a-f]{8}"),
    ("..hidden", "job.", r"hidden-[0-9a-f]{8}/job-[0-9a-f]{8}"),
    ("a", "ü-job", r"a/-job-[0-9a-f]{8}"),
])
def test_entry_key_cleaning(cluster, job, expected):
    assert re.match("^%s$" % expected, ledger_mod.entry_key(cluster, job))


@pytest.mark.parametrize("first, second", [("orders enrichment", "orders_enrichment"), ("ü-job", "ä-job"),
                                           ("a.b", "a_b"), ("x y", "x:y")])
def test_entry_keys_of_different_names_never_collide(first, second):
    assert ledger_mod.entry_key("c", first) != ledger_mod.entry_key("c", second)
    assert ledger_mod.entry_key("c", first) == ledger_mod.entry_key("c", first)


@pytest.mark.parametrize("cluster, job", [("", "j"), ("c", None), ("...", "j"), ("c", "__")])
def test_entry_key_refuses_empty(cluster, job):
    with pytest.raises(ledger_mod.LedgerError):
        ledger_mod.entry_key(cluster, job)


def test_is_resumable():
    assert ledger_mod.is_resumable(dict(status="pinned"))
    assert ledger_mod.is_resumable(dict(status="restored", new_ami="ami-2"), "ami-2")
    assert ledger_mod.is_resumable(dict(status="pinned", new_ami=None), "ami-2")
    assert not ledger_mod.is_resumable(dict(status="pinned", new_ami="ami-1"), "ami-2")
    assert not ledger_mod.is_resumable(dict(status="done"))
    assert not ledger_mod.is_resumable(dict(status="rolled_back"))
    assert not ledger_mod.is_resumable(None) and not ledger_mod.is_resumable({})


def _exercise(ledger):
    """The same story on every backend: pin, restore (idempotent), done, next pin keeps the previous entry."""
    key = ledger_mod.entry_key("prod", "orders")
    assert ledger.get(key) is None
    entry = ledger_mod.record_pin(ledger, key, PIN, "prod", "orders", run_id="r1", old_ami="ami-1", new_ami="ami-2",
                                  extra=dict(source_url="http://old:8081"))
    assert entry["status"] == "pinned" and entry["checkpoint_id"] == 9 and entry["source_url"] == "http://old:8081"
    assert ledger.get(key) == entry and "previous" not in entry
    pin = ledger_mod.pin_from_entry(ledger.get(key))
    assert pin["id"] == 9 and pin["external_path"] == PIN["external_path"] and pin["is_final"] and pin["source"] == "ledger"

    restored, changed = ledger_mod.update_status(ledger, key, "restored", dict(new_job_id="c" * 32))
    assert changed and restored["status"] == "restored" and restored["new_job_id"] == "c" * 32
    again, changed = ledger_mod.update_status(ledger, key, "restored", dict(new_job_id="c" * 32))
    assert not changed and again["updated_at"] == restored["updated_at"]
    done, changed = ledger_mod.update_status(ledger, key, "done")
    assert changed and not ledger_mod.is_resumable(done)
    # a finished entry is never reopened: a later run would resume from its old pin
    for status in ("restored", "pinned"):
        with pytest.raises(ledger_mod.LedgerError) as err:
            ledger_mod.update_status(ledger, key, status)
        assert "would reopen it" in str(err.value) and ledger.get(key)["status"] == "done"
    assert ledger_mod.update_status(ledger, key, "done")[1] is False

    second = ledger_mod.record_pin(ledger, key, PIN2, "prod", "orders", run_id="r2")
    assert second["checkpoint_id"] == 15 and second["previous"]["checkpoint_id"] == 9
    assert second["previous"]["status"] == "done" and "previous" not in second["previous"]
    third = ledger_mod.record_pin(ledger, key, PIN, "prod", "orders", run_id="r3")
    assert third["previous"]["run_id"] == "r2" and "previous" not in third["previous"], "only one level is kept"

    with pytest.raises(ledger_mod.LedgerError):
        ledger_mod.update_status(ledger, key, "bogus")
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger_mod.update_status(ledger, ledger_mod.entry_key("prod", "nothing"), "done")
    assert "no ledger entry" in str(err.value)
    ledger_mod.record_pin(ledger, ledger_mod.entry_key("prod", "payments"), PIN, "prod", "payments")
    assert ledger.list() == ["prod/orders", "prod/payments"]


def test_file_ledger(tmp_path):
    root = str(tmp_path / "ledger")
    for uri in (root, "file://" + root):
        assert isinstance(ledger_mod.open_ledger(uri), ledger_mod.FileLedger)
    ledger = ledger_mod.open_ledger("file://" + root)
    _exercise(ledger)
    path = os.path.join(root, "prod", "orders.json")
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle)["status"] == "pinned"
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".ledger-")], "no temp files left"


def test_file_ledger_errors(tmp_path):
    bad = tmp_path / "prod"
    bad.mkdir()
    (bad / "orders.json").write_text("{not json")
    ledger = ledger_mod.open_ledger(str(tmp_path))
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger.get("prod/orders")
    assert "cannot read ledger entry" in str(err.value)
    regular = tmp_path / "file"
    regular.write_text("x")
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger_mod.open_ledger(str(regular / "sub")).put("a/b", {})
    assert "cannot write ledger entry" in str(err.value)


def test_a_status_change_never_rewrites_the_pin(tmp_path):
    ledger = ledger_mod.open_ledger(str(tmp_path))
    key = ledger_mod.entry_key("prod", "orders")
    ledger_mod.record_pin(ledger, key, PIN, "prod", "orders")
    before = ledger.get(key)
    for fields in (dict(checkpoint_path="file:/elsewhere/chk-1"), dict(status="done"), dict(old_job_id="b" * 32, note="x")):
        with pytest.raises(ledger_mod.LedgerError) as err:
            ledger_mod.update_status(ledger, key, "restored", fields)
        assert "the ledger's own" in str(err.value)
    assert ledger.get(key) == before


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"pinned"'])
def test_a_corrupt_entry_is_a_clear_error(tmp_path, text):
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "orders.json").write_text(text)
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger_mod.open_ledger(str(tmp_path)).get("prod/orders")
    assert "cannot read ledger entry" in str(err.value)


def test_file_ledger_says_before_a_fence_whether_an_entry_could_be_written(tmp_path):
    """check_writable creates nothing: a missing directory below a writable one is fine, a path under a regular file
    is not."""
    ledger_mod.open_ledger(str(tmp_path / "new" / "ledger")).check_writable("prod/orders")
    assert not (tmp_path / "new").exists()
    regular = tmp_path / "file"
    regular.write_text("x")
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger_mod.open_ledger(str(regular / "sub")).check_writable("prod/orders")
    assert "cannot write ledger entries under" in str(err.value) and "not a writable directory" in str(err.value)


@pytest.mark.parametrize("uri, needle", [("", "no ledger location"), ("ssm:", "invalid SSM ledger prefix"),
                                         ("ssm:/bad prefix!", "invalid SSM ledger prefix"), ("gs://b/x", "unsupported"),
                                         ("relative", "neither an absolute path")])
def test_open_ledger_refuses(uri, needle):
    with pytest.raises(Exception) as err:
        ledger_mod.open_ledger(uri)
    assert needle in str(err.value)


@pytest.fixture
def aws(monkeypatch):
    moto = pytest.importorskip("moto")
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    with moto.mock_aws():
        yield dict(region="us-east-1")


def test_ssm_ledger(aws):
    ledger = ledger_mod.open_ledger("ssm:/flinkops/ledger", aws=aws)
    assert isinstance(ledger, ledger_mod.SsmLedger)
    _exercise(ledger)
    import boto3  # pylint: disable=import-outside-toplevel

    value = boto3.client("ssm", region_name="us-east-1").get_parameter(Name="/flinkops/ledger/prod/orders")["Parameter"]["Value"]
    assert json.loads(value)["checkpoint_id"] == 9


def test_s3_ledger(aws):
    import boto3  # pylint: disable=import-outside-toplevel

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="fleet-ledger")
    ledger = ledger_mod.open_ledger("s3://fleet-ledger/runs/", aws=aws)
    assert isinstance(ledger, ledger_mod.S3Ledger)
    _exercise(ledger)
    body = boto3.client("s3", region_name="us-east-1").get_object(Bucket="fleet-ledger", Key="runs/prod/orders.json")["Body"]
    assert json.loads(body.read())["status"] == "pinned"
    missing = ledger_mod.open_ledger("s3://no-such-ledger/x", aws=aws)
    with pytest.raises(ledger_mod.LedgerError):
        missing.get("prod/orders")


def test_s3_and_ssm_ledgers_fail_clearly(aws):
    import boto3  # pylint: disable=import-outside-toplevel

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="ledger")
    boto3.client("s3", region_name="us-east-1").put_object(Bucket="ledger", Key="l/prod/orders.json", Body=b"{oops")
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger_mod.open_ledger("s3://ledger/l", aws=aws).get("prod/orders")
    assert "it is no JSON" in str(err.value)
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/l/prod/orders", Value="[]", Type="String")
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger_mod.open_ledger("ssm:/l", aws=aws).get("prod/orders")
    assert "no JSON object" in str(err.value)
    for uri in ("s3://ledger/l", "ssm:/l"):
        with pytest.raises(Exception) as err:
            ledger_mod.open_ledger(uri, aws=dict(aws, profile="no-such-profile"))
        assert "no-such-profile" in str(err.value) and "cannot" in str(err.value), uri
        assert isinstance(err.value, ledger_mod.FlinkError), type(err.value)


def test_s3_and_ssm_ledgers_probe_writes_and_leave_nothing(aws):
    import boto3  # pylint: disable=import-outside-toplevel

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="probe")
    s3 = ledger_mod.open_ledger("s3://probe/l", aws=aws)
    ssm = ledger_mod.open_ledger("ssm:/probe", aws=aws)
    for ledger in (s3, ssm):
        ledger.check_writable("prod/orders")
        ledger.check_writable("prod/orders", dry=True)
        assert ledger.list() == []
    assert boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="probe").get("KeyCount") == 0
    with pytest.raises(ledger_mod.LedgerError) as err:
        ledger_mod.open_ledger("s3://no-such-bucket/l", aws=aws).check_writable("prod/orders")
    assert "cannot write ledger objects in s3://no-such-bucket" in str(err.value)
