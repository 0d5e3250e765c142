# -*- coding: utf-8 -*-
"""Mirror the work tree into ``<dest>/ansible_collections/flinkops/fleet`` for ansible-test.

ansible-test resolves the real path of the current directory and insists that it lies under
``.../ansible_collections/<namespace>/<name>/``; the symlink in ``.cache/collections`` therefore does not
satisfy it (the real path is the repository root).  This script copies the files git knows about
(tracked plus untracked-but-not-ignored, i.e. exactly what ``git ls-files -co --exclude-standard``
lists) into a real directory, copying only what changed and deleting what disappeared, so a re-run
is fast.  Without git (e.g. an exported tarball) it walks the tree and skips the local-only
directories.

Usage: python scripts/sync_collection.py REPO_ROOT DEST_COLLECTION_DIR
"""

import os
import shutil
import subprocess
import sys

SKIP_DIRS = {".git", ".venv", ".cache", ".home", "__pycache__", ".pytest_cache", ".tox", ".mypy_cache"}
SKIP_PREFIXES = ("tests/output/",)


def list_files(root):
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        ).stdout.decode("utf-8")
        names = [n for n in out.split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                names.append(os.path.relpath(os.path.join(dirpath, name), root))
    keep = []
    for name in names:
        if name.startswith(SKIP_PREFIXES) or set(name.split("/")) & SKIP_DIRS:
            continue
        if name.endswith((".pyc", ".pyo")):
            continue
        if os.path.lexists(os.path.join(root, name)):  # tracked files deleted in the work tree are skipped
            keep.append(name)
    return sorted(set(keep))


def same(src, dst):
    try:
        s, d = os.lstat(src), os.lstat(dst)
    except OSError:
        return False
    if os.path.islink(src) or os.path.islink(dst):
        return os.path.islink(src) and os.path.islink(dst) and os.readlink(src) == os.readlink(dst)
    return s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime) and (s.st_mode & 0o777) == (d.st_mode & 0o777)


def main(root, dest):
    root = os.path.abspath(root)
    dest = os.path.abspath(dest)
    files = list_files(root)
    wanted = set(files)
    copied = 0
    for name in files:
        src, dst = os.path.join(root, name), os.path.join(dest, name)
        if same(src, dst):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst) and (os.path.isdir(dst) and not os.path.islink(dst)):
            shutil.rmtree(dst)
        elif os.path.lexists(dst):
            os.unlink(dst)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
        copied += 1
    removed = 0
    for dirpath, dirnames, filenames in os.walk(dest, topdown=False):
        rel_dir = os.path.relpath(dirpath, dest)
        parts = rel_dir.split(os.sep)
        if set(parts) & SKIP_DIRS or rel_dir.startswith(os.path.join("tests", "output")):
            continue  # the copy's own .git and ansible-test's results (tests/output) stay
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel not in wanted:
                os.unlink(os.path.join(dirpath, name))
                removed += 1
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path) and name not in SKIP_DIRS and not os.listdir(path):
                os.rmdir(path)
    print("synced %d files into %s (%d copied, %d removed)" % (len(files), dest, copied, removed))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
