"""Writing run outputs safely: checked before any work, built under a private temporary name, published in one rename.

Guarantees (tested in tests/bad_input/test_faults.py and test_output_safety.py; the rules for users are in
docs/outputs.md):
- `preflight_*` rejects an output path that cannot be written (a file where a folder goes, a path under a file,
  a read-only folder, a dangling or looping symlink, an unknown plot extension) before a verb does any work.
- hwsim never deletes what it did not write: every output folder carries `hwsim-manifest.json` (the verb and the
  sha256 of each file hwsim wrote), and an existing folder is replaced only when it is empty or holds exactly
  files its manifest lists, unchanged. The current folder and its ancestors are never replaced.
- A target's owner and mode are respected even by root (who passes every `os.access` check): an existing folder
  or file owned by another user, or without its owner's write bit, is refused; a replaced folder or file keeps
  its mode.
- `atomic_output_dir` builds the whole folder under an unpredictable sibling name (`tempfile.mkdtemp`, mode
  0700, never a followed symlink) and swaps it with the target in one `renameat2(RENAME_EXCHANGE)` (or two
  renames where the kernel lacks it): readers see the old folder or the new one, never a mix, and files of an
  older run never survive.
- One writer per target: a second run into the same folder or file fails with the one-line error instead of
  interleaving (an `flock` on a sibling lock file, removed again on release).
- `atomic_file` does the same for single files (unique `mkstemp` name, `os.replace`).
- An interrupted or failing run removes its temporary names; a kill -9 can leave one hidden
  `.NAME.hwsim-*` sibling, which the next run into the same target removes while it holds the lock.
- `published()` lists what this process has published, told by inode (is the target now the folder or file
  hwsim built?), so an interruption message says truthfully whether the output was written.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator

from hwsim.errors import SpecError

TEMP_TAG = "hwsim-"
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")
MANIFEST_NAME = "hwsim-manifest.json"
MANIFEST_FORMAT = "hwsim-manifest/1"
_RENAME_EXCHANGE = 2
_held_locks: dict[Path, int] = {}
_publications: list[tuple[Path, int, int]] = []  # (target, st_dev, st_ino of what was built for it)
_verb: list[str] = ["api"]  # the CLI sets the running verb (start_run); library callers are "api"


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
    if not os.access(ancestor, os.W_OK | os.X_OK) or not ancestor.stat().st_mode & 0o222:
        # a folder without any write bit is read-only to everyone; root passes os.access, so look at the bits
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
    _check_not_cwd(path, flag)
    _check_replaceable(path, flag)
    _check_parent_writable(path, flag)
    _check_not_locked(path, flag)


def _check_not_cwd(path: Path, flag: str) -> None:
    """The folder a user runs in (or one above it) is theirs, whatever it holds: never an output folder."""
    if os.path.islink(path) or not path.is_dir():
        return
    target, here = path.resolve(), Path.cwd().resolve()
    if here == target or target in here.parents:
        where = "the current folder" if here == target else "a folder above the current one"
        raise SpecError(None, flag, f"expected a folder that is not the current folder or above it, got "
                                    f"{str(path)!r} ({where}; a run replaces the whole folder)")


def _check_owned_writable(path: Path, flag: str, what: str) -> None:
    """Refuse `path` (not followed) unless this user owns it and its owner may write it; by mode bits, since
    root passes every os.access check."""
    info = path.lstat()
    if info.st_uid != os.geteuid():
        raise SpecError(None, flag, f"expected {what} owned by this user (uid {os.geteuid()}), got {str(path)!r} "
                                    f"owned by uid {info.st_uid} (hwsim does not replace other users' files)")
    if not info.st_mode & stat.S_IWUSR:
        raise SpecError(None, flag, f"expected a writable {what}, got read-only {str(path)!r} "
                                    f"(mode {stat.S_IMODE(info.st_mode):04o}; make it writable to replace it)")


def _check_replaceable(path: Path, flag: str) -> None:
    """A run replaces its whole output folder, so an existing one must be empty or hold only what an earlier
    hwsim run wrote there: the files its manifest lists, unchanged. A symlink is replaced, never followed."""
    if not path.is_dir() or path.is_symlink():
        return
    if os.path.ismount(path):
        raise SpecError(None, flag, f"expected an output folder, got the mount point {str(path)!r}")
    _check_owned_writable(path, flag, "an output folder")
    entries = sorted(os.listdir(path))
    if not entries:
        return
    if MANIFEST_NAME not in entries:
        shown = ", ".join(repr(name) for name in entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise SpecError(None, flag, f"expected a new folder, an empty one or one hwsim wrote (with {MANIFEST_NAME}), "
                                    f"got {str(path)!r} holding {shown} (a run replaces the whole folder and "
                                    "hwsim never deletes files it did not write)")
    listed = read_manifest(path / MANIFEST_NAME, flag)
    for relative, full in _walk(path):
        _check_listed(path, relative, full, listed, flag)


def _walk(folder: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix path, path) of everything under `folder`, sorted, folders before what they hold."""
    for name in sorted(os.listdir(folder)):
        full = folder / name
        yield name, full
        if full.is_dir() and not full.is_symlink():
            yield from ((f"{name}/{rel}", sub) for rel, sub in _walk(full))


def _check_listed(folder: Path, relative: str, full: Path, listed: dict[str, str], flag: str) -> None:
    """One entry of an existing output folder: the manifest itself, a folder of listed files, or a listed file
    whose bytes hwsim wrote; ours to replace (owned, writable) in every case."""
    _check_owned_writable(full, flag, "an output file")
    if relative == MANIFEST_NAME:
        return
    if full.is_dir() and not full.is_symlink():
        if any(name.startswith(relative + "/") for name in listed):
            return
    elif relative in listed and full.is_file() and not full.is_symlink():
        if file_sha256(full) == listed[relative]:
            return
        raise SpecError(None, flag, f"expected the files hwsim wrote in {str(folder)!r} unchanged, got {relative!r} "
                                    f"changed since ({MANIFEST_NAME} lists other bytes; move it away or delete it "
                                    "first)")
    raise SpecError(None, flag, f"expected only the files hwsim wrote in {str(folder)!r}, got {relative!r} that "
                                f"{MANIFEST_NAME} does not list (move it away or delete it first)")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path: Path, flag: str = "--out") -> dict[str, str]:
    """{relative path: sha256} of a manifest hwsim wrote; a file that is not one is refused (one line)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document["format"] == MANIFEST_FORMAT:
            return {str(entry["path"]): str(entry["sha256"]) for entry in document["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    raise SpecError(None, flag, f"expected a manifest hwsim wrote ({MANIFEST_FORMAT}), got an unreadable "
                                    f"{str(path)!r} (hwsim never deletes files it did not write)")


def manifest_document(folder: Path, verb: str) -> dict[str, Any]:
    """What `hwsim-manifest.json` holds: no dates or hosts, so the same run gives the same bytes."""
    files = [{"path": relative, "sha256": file_sha256(full), "bytes": full.stat().st_size}
             for relative, full in _walk(folder)
             if relative != MANIFEST_NAME and full.is_file() and not full.is_symlink()]
    return {"format": MANIFEST_FORMAT, "written_by": "hwsim", "verb": verb, "files": files}


def write_manifest(folder: Path, verb: str | None = None) -> Path:
    """List every file now under `folder` in its manifest (the last file a run writes there)."""
    path = Path(folder) / MANIFEST_NAME
    document = manifest_document(Path(folder), verb or _verb[0])
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path


def start_run(verb: str) -> None:
    """The CLI calls it once per run: the verb its manifests name, and nothing published yet."""
    _verb[0] = verb
    _publications.clear()


def safe_name(text: str, fallback: str = "x") -> str:
    """`text` as one file-name component: letters, digits, '.', '_' and '-' only, never '.' or '..'.

    Output names built from user text (a device given as a path, a precision name) cannot then climb out of the
    output folder or nest folders inside it."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or fallback
    return cleaned[:100]


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
    if path.is_file() and not path.is_symlink():
        _check_owned_writable(path, flag, "an output file")
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


def _publishing(source: Path, target: Path) -> None:
    """Note that `source` is about to become `target`; `published()` later tells, by inode, whether it did."""
    info = os.lstat(source)
    _publications.append((target, info.st_dev, info.st_ino))


def published() -> list[Path]:
    """The outputs this process has published so far (what an interruption message reports as written).

    Told by whether each target now is the very folder or file hwsim built, so the answer is true whenever the
    signal landed: before the rename, after it, or between the rename and the next line."""
    found = []
    for target, device, inode in _publications:
        with contextlib.suppress(OSError):
            info = os.lstat(target)
            if (info.st_dev, info.st_ino) == (device, inode) and target not in found:
                found.append(target)
    return found


def _kept_mode(target: Path, default: int) -> int:
    """A replaced folder or file keeps its mode; a new one gets `default` under the umask."""
    try:
        info = target.lstat()
    except FileNotFoundError:
        return default & ~_umask()
    return stat.S_IMODE(info.st_mode) if not stat.S_ISLNK(info.st_mode) else default & ~_umask()


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
def atomic_output_dir(final_dir: str | Path, flag: str = "--out", verb: str | None = None) -> Iterator[Path]:
    """Yield a private temporary folder; on success it replaces `final_dir` as a whole (old files do not survive),
    with `hwsim-manifest.json` listing what the body wrote (`verb` defaults to the running CLI verb).

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
            write_manifest(staging, verb)
            _check_replaceable(final_dir, flag)  # again, under the lock: a file may have been added meanwhile
            os.chmod(staging, _kept_mode(final_dir, 0o777))
            _publishing(staging, final_dir)
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
            os.chmod(tmp, _kept_mode(path, 0o666))
            _publishing(tmp, path)
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
    import yaml

    path = Path(directory) / name
    path.write_text(yaml.safe_dump(json.loads(json.dumps(resolved, default=str)), sort_keys=False))
    return path
