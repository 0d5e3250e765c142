# -*- coding: utf-8 -*-
"""verify_exactly_once() must accept clean output and reject duplicates, gaps and broken per-key counts."""

import os
import shutil

import pytest

from tests.harness.paths import CACHE_DIR
from tests.harness.testjob import verify_exactly_once

KEYS = 3


def _lines(n, keys=KEYS):
    counts = {}
    lines = []
    for seq in range(n):
        key = seq % keys
        counts[key] = counts.get(key, 0) + 1
        lines.append("%d,%d,%d" % (seq, key, counts[key]))
    return lines


def _write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


@pytest.fixture
def tmp_dir(request):
    """A fresh directory under ``.cache/unit/`` (not /tmp: everything stays inside the work tree)."""
    path = os.path.join(CACHE_DIR, "unit", "verify_exactly_once", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def output(tmp_dir):
    """A FileSink-like output dir: two committed part files in a bucket, one hidden in-progress file."""
    out = os.path.join(tmp_dir, "out")
    lines = _lines(30)
    _write(os.path.join(out, "part-a-0"), lines[:12])
    _write(os.path.join(out, "bucket", "part-a-1"), lines[12:])
    _write(os.path.join(out, ".part-a-2.inprogress.123"), lines[5:9])  # uncommitted: must be ignored
    return out


def test_clean_output_passes(output):
    summary = verify_exactly_once(output, keys=KEYS)
    assert summary["records"] == 30 and summary["max_seq"] == 29
    assert summary["duplicates"] == 0 and summary["missing"] == 0 and summary["keys"] == KEYS


def test_duplicate_line_is_detected(output):
    with open(os.path.join(output, "part-a-0"), "a", encoding="utf-8") as handle:
        handle.write("4,1,2\n")
    with pytest.raises(AssertionError, match="duplicated sequence numbers"):
        verify_exactly_once(output)


def test_replayed_records_with_recounted_state_are_detected(output):
    # a restore from an older checkpoint after newer output was committed: seq 27..29 again with counts 10, 11...
    _write(os.path.join(output, "part-b-0"), ["27,0,10", "28,1,10", "29,2,10"])
    with pytest.raises(AssertionError, match="duplicated"):
        verify_exactly_once(output)


def test_gap_is_detected(output):
    path = os.path.join(output, "bucket", "part-a-1")
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("20,")]
    _write(path, [line.strip() for line in lines])
    with pytest.raises(AssertionError, match="missing sequence numbers: \\[20\\]"):
        verify_exactly_once(output)


def test_count_jump_is_detected(output):
    path = os.path.join(output, "bucket", "part-a-1")
    with open(path, encoding="utf-8") as handle:
        lines = [line.strip() for line in handle]
    lines = [("%s,%s,99" % tuple(line.split(",")[:2])) if line.startswith("15,") else line for line in lines]
    _write(path, lines)
    with pytest.raises(AssertionError, match="per-key counts not continuous"):
        verify_exactly_once(output)


def test_wrong_key_is_detected(output):
    _write(os.path.join(output, "part-c-0"), ["30,1,11"])  # 30 % 3 == 0
    with pytest.raises(AssertionError, match="key != seq"):
        verify_exactly_once(output, keys=KEYS)


def test_empty_output_fails(tmp_dir):
    with pytest.raises(AssertionError, match="only 0 records"):
        verify_exactly_once(tmp_dir)


def test_malformed_line_fails(output):
    _write(os.path.join(output, "part-d-0"), ["not,a,number"])
    with pytest.raises(AssertionError, match="malformed line"):
        verify_exactly_once(output)
