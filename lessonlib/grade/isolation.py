"""Where a submission is graded: a namespace of its own, so that it reads no other
submission, writes nothing another grading reads, and leaves no process behind.

With Linux namespaces (``unshare``) each worker gets its own process tree (the kernel dies
with the worker, however it detached), its own network (loopback only), and its own mounts:
private ``/tmp``, ``/var/tmp`` and ``/dev/shm``; the submissions, the output folders and the
course's tests hidden under empty folders; the course's code and its Python read-only. Run as
root, the grader then drops the worker to an unprivileged user (``nobody``), who can undo
none of it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

NOBODY = 65534
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the course: lessonlib/ and tests/
NAMESPACES = ["--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--net"]
PRIVATE = ("/tmp", "/var/tmp", "/dev/shm")
PR_SET_DUMPABLE = 4


@cache
def wrapper() -> tuple[list[str], str]:
    """The command prefix that starts a worker in namespaces of its own, and its name."""
    unshare = shutil.which("unshare")
    if unshare is None or sys.platform != "linux":
        return [], "none (no unshare: submissions share this machine's files and processes)"
    tries = [[unshare, *NAMESPACES]] if os.geteuid() == 0 else []
    tries.append([unshare, "--user", "--map-root-user", *NAMESPACES])
    for command in tries:
        probe = subprocess.run([*command, "true"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            root = os.geteuid() == 0 and "--user" not in command
            return command, (
                "namespaces, each kernel run as nobody"
                if root
                else "user namespaces (run as root to also drop each kernel to nobody)"
            )
    return [], "none (unshare refused here: submissions share this machine's files)"


def hidden(paths: list[Path]) -> list[str]:
    """What a worker must not see: the given paths, and the course's tests, but never a
    folder that holds the course's code or Python (which the kernel needs)."""
    needed = [PACKAGE_ROOT / "lessonlib", Path(sys.prefix).resolve()]
    out = []
    for path in [*paths, PACKAGE_ROOT / "tests"]:
        resolved = path.resolve()
        if resolved.exists() and not any(_within(n, resolved) for n in needed):
            out.append(str(resolved))
    return sorted(set(out))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def enter(hide: list[str]) -> Path:
    """Inside the namespaces: private temporary folders, ``hide`` hidden, the code read-only,
    loopback up; then, when really root, become nobody. Returns the private work folder."""
    if os.geteuid() == 0:
        needed = [PACKAGE_ROOT, *(Path(p).resolve() for p in (sys.prefix, sys.base_prefix))]
        # A course checked out under /tmp (a CI checkout, say) would vanish under the private
        # /tmp: hold on to each such folder, and put it back in the new /tmp.
        kept = {
            path: os.open(path, os.O_PATH | os.O_DIRECTORY)
            for path in needed
            if any(_within(path, Path(folder)) for folder in PRIVATE)
        }
        for folder in PRIVATE:
            if Path(folder).is_dir():
                _mount("-t", "tmpfs", "-o", "mode=1777,size=512m", "tmpfs", folder)
        for path, handle in kept.items():
            path.mkdir(parents=True, exist_ok=True)
            # --no-canonicalize: the fd itself, not the (now empty) path its link names
            source = f"/proc/self/fd/{handle}"
            _mount("--no-canonicalize", "--bind", source, str(path), pass_fds=(handle,))
            os.close(handle)
        if _really_root():
            _expose(needed)
        for path in map(str, needed):
            _mount("--bind", path, path)
            _mount("-o", "remount,bind,ro", path, path)
        for path in hide:
            if Path(path).is_dir():
                _mount("-t", "tmpfs", "-o", "ro,mode=755,size=1m", "tmpfs", path)
            elif Path(path).exists():
                _mount("--bind", "/dev/null", path)
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, timeout=10)
    work = Path("/tmp") / "grading"
    for name in ("home", "work", "runtime", "config", "data", "ipython"):
        (work / name).mkdir(parents=True, exist_ok=True)
        if _really_root():
            os.chown(work / name, NOBODY, NOBODY)
    if _really_root():
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    # Nothing of this process (its memory, its open files) is readable by the kernel's user.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    return work


def private_env(work: Path, extra: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: fresh home and profiles, and nothing of the grader's."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {
        "HOME": str(work / "home"),
        "IPYTHONDIR": str(work / "ipython"),
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "JUPYTER_DATA_DIR": str(work / "data"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "MPLCONFIGDIR": str(work / "config"),
        "TMPDIR": str(work / "work"),
        "PYTHONNOUSERSITE": "1",
    }
    return env | extra


def _expose(needed: list[Path]) -> None:
    """Make each needed folder reachable by nobody where a folder above it is closed to
    others (Python installed in /root, say): that folder is covered by an empty one holding
    only the needed folder, so the rest of it stays out of sight."""
    staging = Path("/tmp/.grading-expose")
    for number, path in enumerate(needed):
        closed = next(
            (a for a in reversed(path.parents) if a != Path("/") and not a.stat().st_mode & 0o001),
            None,
        )
        if closed is None:
            continue
        stage = staging / str(number)
        stage.mkdir(parents=True, exist_ok=True)
        _mount("--bind", str(path), str(stage))
        _mount("-t", "tmpfs", "-o", "mode=755,size=1m", "tmpfs", str(closed))
        path.mkdir(parents=True, exist_ok=True)
        _mount("--bind", str(stage), str(path))


def _really_root() -> bool:
    """Root of this machine rather than of a user namespace (where uid 0 maps to a user)."""
    try:
        mapping = Path("/proc/self/uid_map").read_text().split()
    except OSError:
        return os.geteuid() == 0
    return os.geteuid() == 0 and mapping[:2] == ["0", "0"]


def _mount(*arguments: str, pass_fds: tuple[int, ...] = ()) -> None:
    subprocess.run(
        ["mount", *arguments], check=True, capture_output=True, timeout=10, pass_fds=pass_fds
    )
