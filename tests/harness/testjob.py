# -*- coding: utf-8 -*-
"""The exactly-once test job: build its jar with javac and verify its output.

The job (``tests/java/flinkops/testjob/FleetTestJob.java``) writes ``seq,key,count`` lines through a FileSink that
commits part files on checkpoint completion; in-progress and pending files are hidden (their names start with
``.``).  :func:`verify_exactly_once` reads only the visible, committed part files.
"""

import hashlib
import os
import subprocess
import zipfile

from tests.harness.flinkdist import build_flink_home, flink_lib_jars
from tests.harness.paths import CACHE_DIR, REPO_ROOT, ensure_dir, file_lock, sandbox_env

JAVA_SRC_DIR = os.path.join(REPO_ROOT, "tests", "java")
BUILD_DIR = os.path.join(CACHE_DIR, "build")
TEST_JOB_JAR = os.path.join(BUILD_DIR, "fleet-test-job.jar")
ENTRY_CLASS = "flinkops.testjob.FleetTestJob"


def _java_sources():
    sources = []
    for root, _dirs, files in os.walk(JAVA_SRC_DIR):
        sources.extend(os.path.join(root, name) for name in files if name.endswith(".java"))
    return sorted(sources)


def _source_hash(sources, classpath):
    digest = hashlib.sha256()
    for path in sources:
        digest.update(os.path.relpath(path, JAVA_SRC_DIR).encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    for jar in classpath:
        digest.update(os.path.basename(jar).encode())
    return digest.hexdigest()[:16]


def build_test_job_jar(jar_path=TEST_JOB_JAR, flink_home=None):
    """Compile the test job against ``<FLINK_HOME>/lib/*.jar`` into ``jar_path`` (cached by source hash); return the path."""
    classpath = flink_lib_jars(flink_home or build_flink_home())
    sources = _java_sources()
    stamp = _source_hash(sources, classpath)
    with file_lock("test-job-jar"):
        return _build_jar(jar_path, classpath, sources, stamp)


def _build_jar(jar_path, classpath, sources, stamp):
    stamp_file = jar_path + ".sha"
    if os.path.isfile(jar_path) and os.path.isfile(stamp_file):
        with open(stamp_file, encoding="utf-8") as handle:
            if handle.read().strip() == stamp:
                return jar_path
    classes = os.path.join(BUILD_DIR, "classes-%s" % stamp)
    ensure_dir(classes)
    cmd = ["javac", "-encoding", "UTF-8", "--release", "17", "-nowarn", "-d", classes,
           "-cp", os.pathsep.join(classpath)] + sources
    proc = subprocess.run(cmd, capture_output=True, text=True, env=sandbox_env(), check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError("javac failed (%d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    tmp_jar = "%s.%d.tmp" % (jar_path, os.getpid())
    manifest = "Manifest-Version: 1.0\nMain-Class: %s\nCreated-By: tests/harness/testjob.py\n\n" % ENTRY_CLASS
    with zipfile.ZipFile(tmp_jar, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
        for root, _dirs, files in os.walk(classes):
            for name in sorted(files):
                full = os.path.join(root, name)
                jar.write(full, os.path.relpath(full, classes))
    os.replace(tmp_jar, jar_path)
    with open(stamp_file, "w", encoding="utf-8") as handle:
        handle.write(stamp + "\n")
    return jar_path


def job_args(output, rate=200, keys=8, checkpoint_interval=None, retention=None, snapshot_delay_ms=None,
             state_bytes=None, parallelism=None, name=None, no_checkpointing=False, uid_suffix=None, emit_time=False,
             random_padding=False, padding_entry_bytes=None, fail_once_after_checkpoints=None, fail_once_marker=None):
    """The ``programArgsList`` for the test job (``None`` values are left out).

    ``emit_time`` appends the processing time (epoch ms) to every output line; ``random_padding`` makes the
    ``state_bytes`` padding incompressible; ``padding_entry_bytes`` keeps it as MapState entries of that size;
    ``fail_once_after_checkpoints`` with ``fail_once_marker`` (a path) makes a restored job fail once after that many
    of its own checkpoints.
    """
    args = ["--output", str(output), "--rate", str(rate), "--keys", str(keys)]
    optional = (("--checkpoint-interval", checkpoint_interval), ("--retention", retention),
                ("--snapshot-delay-ms", snapshot_delay_ms), ("--state-bytes", state_bytes),
                ("--parallelism", parallelism), ("--name", name), ("--uid-suffix", uid_suffix),
                ("--padding-entry-bytes", padding_entry_bytes), ("--fail-once-after-checkpoints", fail_once_after_checkpoints),
                ("--fail-once-marker", fail_once_marker))
    for flag, value in optional:
        if value is not None:
            args.extend([flag, str(value)])
    if no_checkpointing:
        args.append("--no-checkpointing")
    if emit_time:
        args.append("--emit-time")
    if random_padding:
        args.append("--random-padding")
    return args


def visible_part_files(output_dir):
    """Committed part files under ``output_dir`` (recursively; hidden in-progress/pending files are skipped)."""
    found = []
    for root, dirs, files in os.walk(output_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(root, name) for name in sorted(files) if not name.startswith("."))
    return found


def read_records(output_dir, with_time=False):
    """All ``(seq, key, count)`` tuples of the visible part files; raises AssertionError on malformed lines.

    Lines may carry a fourth field, the processing time in epoch ms (``--emit-time``); with ``with_time`` the tuples
    are ``(seq, key, count, ms)`` (``ms`` None when a line has no time).
    """
    records = []
    for path in visible_part_files(output_dir):
        with open(path, encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, 1):
                line = line.strip()
                if not line:
                    continue
                parts = line.split(",")
                try:
                    if len(parts) not in (3, 4):
                        raise ValueError(line)
                    seq, key, count = (int(part) for part in parts[:3])
                    stamp = int(parts[3]) if len(parts) == 4 else None
                except ValueError:
                    raise AssertionError("malformed line %s:%d: %r" % (path, lineno, line)) from None
                records.append((seq, key, count, stamp) if with_time else (seq, key, count))
    return records


def _sample(values, limit=20):
    values = sorted(values)
    return values[:limit] + (["... %d more" % (len(values) - limit)] if len(values) > limit else [])


def verify_exactly_once(output_dir, min_records=1, keys=None):
    """Check the job's committed output is exactly-once; return a summary dict or raise AssertionError.

    * every sequence number 0..max appears exactly once (no duplicates, no gaps);
    * for each key, the counts in sequence order are exactly 1, 2, ..., n;
    * with ``keys`` given, each record's key is ``seq % keys``.
    """
    records = read_records(output_dir)
    files = visible_part_files(output_dir)
    if len(records) < min_records:
        raise AssertionError("only %d records in %d visible part files under %s (expected >= %d)"
                             % (len(records), len(files), output_dir, min_records))
    seen = {}
    duplicates = set()
    by_key = {}
    wrong_key = []
    for seq, key, count in records:
        if seq in seen:
            duplicates.add(seq)
        seen[seq] = (key, count)
        by_key.setdefault(key, []).append((seq, count))
        if keys is not None and seq % keys != key:
            wrong_key.append(seq)
    max_seq = max(seen) if seen else -1
    missing = [s for s in range(max_seq + 1) if s not in seen]
    count_errors = []
    for key, pairs in sorted(by_key.items()):
        pairs.sort()
        for expected, (seq, count) in enumerate(pairs, 1):
            if count != expected:
                count_errors.append("key %d: seq %d has count %d, expected %d" % (key, seq, count, expected))
                break
    summary = {
        "records": len(records),
        "distinct": len(seen),
        "max_seq": max_seq,
        "duplicates": len(duplicates),
        "missing": len(missing),
        "keys": len(by_key),
        "files": len(files),
    }
    problems = []
    if duplicates:
        problems.append("%d duplicated sequence numbers: %s" % (len(duplicates), _sample(duplicates)))
    if missing:
        problems.append("%d missing sequence numbers: %s" % (len(missing), _sample(missing)))
    if count_errors:
        problems.append("per-key counts not continuous: %s" % "; ".join(count_errors[:10]))
    if wrong_key:
        problems.append("%d records with key != seq %% %s: %s" % (len(wrong_key), keys, _sample(wrong_key)))
    if problems:
        raise AssertionError("exactly-once violated in %s (%s):\n  %s" % (output_dir, summary, "\n  ".join(problems)))
    return summary
