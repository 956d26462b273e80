"""Folders of built models in the cache: built under a temporary name, recorded last, renamed into place; single
files written the same way (`write_atomically`).

A folder counts only when its record says the build was verified and every file it lists has the listed size and
content hash, so an interrupted build, a half-copied folder, a truncated file or bytes changed in place are rebuilt,
never used. A file is hashed again only when its size or modification time differs from when it last checked out
(`STAMPS`), so a process that finds the folder as it was pays no hashing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

STAMPS = ".checked.json"  # {file: [size, mtime_ns]} of the files as they last matched their recorded hashes


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """`write(temporary)` fills a temporary sibling of `path`, which then replaces `path` in one rename: a reader sees
    the old file or the new one, never half of either. The temporary file is removed when `write` raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(0o644)  # mkstemp and safetensors create files that their owner alone can read
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def is_complete(folder: Path, record_name: str, matches: Callable[[dict], bool]) -> bool:
    """True when `folder` holds a verified build whose record `matches` (e.g. the same source hash)."""
    try:
        record = json.loads((folder / record_name).read_text(encoding="utf-8"))
        return (
            matches(record)
            and record["verification"]["passed"]
            and all((folder / name).stat().st_size == size for name, size in record["files"].items())
            and _contents_match(folder, record["sha256"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _contents_match(folder: Path, hashes: dict[str, str]) -> bool:
    """True when every file has its recorded sha256; files unchanged since they last matched are not read again."""
    try:
        stamps = json.loads((folder / STAMPS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamps = {}
    checked = {}
    for name, digest in hashes.items():
        status = (folder / name).stat()
        stamp = [status.st_size, status.st_mtime_ns]
        if stamps.get(name) != stamp and sha256_file(folder / name) != digest:
            print(f"{folder / name} differs from what was built (damaged or replaced); rebuilding it.", file=sys.stderr)
            return False
        checked[name] = stamp
    if checked != stamps:
        try:
            (folder / STAMPS).write_text(json.dumps(checked) + "\n", encoding="utf-8")
        except OSError:
            pass  # a read-only cache: checked again next time
    return True


def build_folder(target: Path, record_name: str, build: Callable[[Path], dict]) -> None:
    """Run `build(work)` in a fresh temporary sibling of `target`, record what it returns, then rename it to `target`.

    `build` writes the files and returns the record (with a "verification" entry); the sizes of the files are added
    to it under "files". The record is written last, so a folder holding it is complete.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        record = build(work)
        files = [p for p in sorted(work.rglob("*")) if p.is_file()]
        record["files"] = {str(p.relative_to(work)): p.stat().st_size for p in files}
        record["sha256"] = {str(p.relative_to(work)): sha256_file(p) for p in files}
        (work / record_name).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        _move_into_place(work, target, record_name)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _move_into_place(work: Path, target: Path, record_name: str) -> None:
    """Rename the finished `work` folder to `target`, replacing a stale or half-written one."""
    if target.exists():
        # A folder that failed `is_complete` (an old crash, a manual edit): move it aside first,
        # because a directory rename cannot replace a non-empty directory.
        stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
        try:
            target.rename(stale / "old")
        except FileNotFoundError:
            pass  # another process moved it meanwhile
        shutil.rmtree(stale, ignore_errors=True)
    try:
        work.rename(target)
    except OSError:
        # Another process finished the same build first; keep its folder.
        if not (target / record_name).is_file():
            raise
