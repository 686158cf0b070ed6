"""Writing run outputs safely: checked before any work, built under a private temporary name, published in one rename.

Guarantees (tested in tests/bad_input/test_faults.py):
- `preflight_*` rejects an output path that cannot be written (a file where a folder goes, a path under a file,
  a read-only folder, a dangling or looping symlink, an unknown plot extension) before a verb does any work.
- `atomic_output_dir` builds the whole folder under an unpredictable sibling name (`tempfile.mkdtemp`, mode
  0700, never a followed symlink) and swaps it with the target in one `renameat2(RENAME_EXCHANGE)` (or two
  renames where the kernel lacks it): readers see the old folder or the new one, never a mix, and files of an
  older run never survive.
- One writer per target: a second run into the same folder or file fails with the one-line error instead of
  interleaving (an `flock` on a sibling lock file, removed again on release).
- `atomic_file` does the same for single files (unique `mkstemp` name, `os.replace`).
- An interrupted or failing run removes its temporary names; a kill -9 can leave one hidden
  `.NAME.hwsim-*` sibling, which the next run into the same target removes while it holds the lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import yaml

from hwsim.errors import SpecError

TEMP_TAG = "hwsim-"
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")
_RENAME_EXCHANGE = 2
_held_locks: dict[Path, int] = {}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(".")


def _check_parent_writable(path: Path, flag: str) -> None:
    """The nearest existing ancestor must be a writable folder (missing folders below it are created later)."""
    ancestor = _nearest_existing(path.parent if str(path.parent) else Path("."))
    if not ancestor.is_dir():
        if os.path.islink(ancestor):
            raise SpecError(None, flag, f"expected a path through existing folders, got a broken or looping symlink "
                                        f"{str(ancestor)!r} in {str(path)!r}")
        raise SpecError(None, flag, f"expected a path through folders, got {str(path)!r} under the file {str(ancestor)!r}")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise SpecError(None, flag, f"expected a writable folder, got read-only {str(ancestor)!r} for {str(path)!r}")


def _check_not_dangling(path: Path, flag: str) -> None:
    if os.path.islink(path) and not path.exists():
        raise SpecError(None, flag, f"expected a path that is not a broken or looping symlink, got {str(path)!r}")


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.hwsim-lock")


def _busy_error(target: Path, flag: str) -> SpecError:
    return SpecError(None, flag, f"expected no other hwsim run writing {str(target)!r}, got a running one "
                                 "(try again when it has finished)")


def _check_not_locked(path: Path, flag: str) -> None:
    """Fail before any work when another run holds the target (the real lock is taken when writing)."""
    target = Path(os.path.abspath(path))
    if target in _held_locks:
        return
    try:
        fd = os.open(_lock_path(target), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return  # no lock file: nobody writes it now
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _busy_error(target, flag) from None
    finally:
        os.close(fd)


def preflight_output_dir(path: str | Path | None, flag: str = "--out") -> None:
    """Raise the one-line error now if `path` cannot become an output folder; no-op for None."""
    if path is None:
        return
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise SpecError(None, flag, "expected a folder name, not '.', '..' or '/'", str(path))
    _check_not_dangling(path, flag)
    if path.exists() and not path.is_dir():
        raise SpecError(None, flag, f"expected a folder, got the existing file {str(path)!r}")
    _check_replaceable(path, flag)
    _check_parent_writable(path, flag)
    _check_not_locked(path, flag)


def _check_replaceable(path: Path, flag: str) -> None:
    """A run replaces its whole output folder, so an existing one must look like an earlier run's output.

    Every hwsim output folder is flat, so an existing one is accepted when it holds plain files only. Refused:
    anything with subfolders or links (`--out ~`, `--out reports`), a mount point.
    """
    if not path.is_dir() or path.is_symlink():
        return
    if os.path.ismount(path):
        raise SpecError(None, flag, f"expected an output folder, got the mount point {str(path)!r}")
    for entry in os.scandir(path):
        if not entry.is_file(follow_symlinks=False):
            raise SpecError(None, flag, f"expected a new folder, an empty one or an earlier hwsim output, got "
                                        f"{str(path)!r} holding {entry.name!r} (a run replaces the whole folder)")


def preflight_output_file(path: str | Path | None, flag: str, suffixes: tuple[str, ...] | None = None) -> None:
    """Raise the one-line error now if `path` cannot become an output file (optionally of one of `suffixes`)."""
    if path is None:
        return
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise SpecError(None, flag, f"expected a file name ending in {', '.join(suffixes)}", str(path))
    _check_not_dangling(path, flag)
    if path.is_dir():
        raise SpecError(None, flag, f"expected a file, got the existing folder {str(path)!r}")
    if path.exists() and not path.is_file():  # /dev/stdout, a fifo: replacing it would remove a system file
        raise SpecError(None, flag, f"expected a regular file, got the device, pipe or socket {str(path)!r}")
    _check_parent_writable(path, flag)
    _check_not_locked(path, flag)


def preflight_outputs(folders: dict[str, Any] | None = None, files: dict[str, Any] | None = None) -> None:
    """One call per verb, before any work: `preflight_outputs({"--out": args.out}, {"--roofline": (args.roofline,
    PLOT_SUFFIXES)})`. Keys are the flags named in errors; None values (flag not given) are skipped; a
    (path, suffixes) tuple also checks the extension."""
    for flag, path in (folders or {}).items():
        preflight_output_dir(path, flag)
    for flag, value in (files or {}).items():
        path, suffixes = value if isinstance(value, tuple) else (value, None)
        preflight_output_file(path, flag, suffixes)


@contextlib.contextmanager
def writer_lock(target: Path, flag: str = "--out") -> Iterator[None]:
    """Hold the only write permission for `target`, or raise the one-line error at once (no waiting)."""
    target = Path(os.path.abspath(target))
    if target in _held_locks:
        yield
        return
    lock_path = _lock_path(target)
    for _ in range(5):
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _busy_error(target, flag) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous holder removed the file between our open and flock: take the new one
    else:
        raise SpecError(None, flag, f"expected to lock {str(target)!r}, got a lock file that keeps changing")
    _held_locks[target] = fd
    try:
        yield
    finally:
        _held_locks.pop(target, None)
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)


def _remove_stale_temporaries(target: Path) -> None:
    """Under the lock no other writer of `target` is alive, so its hidden temporaries are leftovers of a kill."""
    for stale in target.parent.glob(f".{target.name}.{TEMP_TAG}*"):
        if stale.name.endswith("lock"):
            continue
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                stale.unlink()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where the system lacks it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


def publish_dir(staging: Path, final_dir: Path) -> None:
    """Replace `final_dir` by `staging` in one step; the old folder (if any) ends up at `staging` and is removed."""
    if not os.path.lexists(final_dir):
        os.rename(staging, final_dir)
        return
    if final_dir.is_symlink() or not final_dir.is_dir():
        os.unlink(final_dir)  # a link is replaced, never followed; preflight already refused a plain file
        os.rename(staging, final_dir)
        return
    if not _exchange(staging, final_dir):
        old = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.{TEMP_TAG}old-", dir=final_dir.parent))
        os.rename(final_dir, old)  # replaces the empty `old`; readers briefly see no folder, never a mix
        os.rename(staging, final_dir)
        staging = old
    shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def atomic_output_dir(final_dir: str | Path, flag: str = "--out") -> Iterator[Path]:
    """Yield a private temporary folder; on success it replaces `final_dir` as a whole (old files do not survive).

    Nothing is published when the body raises (or the run is interrupted); the temporary folder is removed.
    """
    final_dir = Path(final_dir)
    preflight_output_dir(final_dir, flag)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(final_dir, flag):
        _remove_stale_temporaries(final_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.{TEMP_TAG}", dir=final_dir.parent))
        try:
            yield staging
            os.chmod(staging, 0o777 & ~_umask())
            publish_dir(staging, final_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(path: str | Path, flag: str = "--out") -> Iterator[Path]:
    """Yield a fresh, unpredictable temporary sibling of `path` (same suffix) to write; renamed over `path` on success."""
    path = Path(path)
    preflight_output_file(path, flag)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(path, flag):
        _remove_stale_temporaries(path)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.{TEMP_TAG}", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def atomic_write_bytes(path: str | Path, data: bytes, flag: str = "--out") -> None:
    """Write a whole file or nothing (a full disk leaves the old file, not a truncated one)."""
    with atomic_file(path, flag) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def atomic_write_text(path: str | Path, text: str, flag: str = "--out") -> None:
    """Write a file through a unique temporary sibling and rename, so a failure leaves no partial file."""
    atomic_write_bytes(path, text.encode("utf-8"), flag)


def write_resolved_config(directory: Path, resolved: dict[str, Any], name: str = "resolved_config.yaml") -> Path:
    """Write the fully resolved inputs of a run next to its outputs, so the run can be repeated."""
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(json.loads(json.dumps(resolved, default=str)), sort_keys=False))
    return path
