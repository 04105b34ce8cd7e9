"""What a class costs on a real JupyterHub: memory per student and the wall time of lesson 2,
for one student alone and for eight at once, and the hub's own overhead.

The hub of tests/classroom (SimpleLocalProcessSpawner: every server on this machine) with
eight students who logged in through its API and pulled the course through the nbgitpuller
link. Memory is the resident set (RSS) of each student's process tree, their single-user
server and its kernels (lesson 2's practice exchange runs inside its kernel), sampled every
0.1 s: the peak while a notebook runs, and the steady figure 3 s after it ended with its
kernel still open (also as PSS, shared pages split between the processes sharing them).
The hub's overhead is the RSS of the hub and its proxy. Each figure is
printed with the machine's load average (`uptime`), since the machine may be shared.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "classroom"))

try:
    import psutil
    from hub import jupyterhub
    from student import HOMEWORK, LESSON, Student, enrol, solved
except ImportError as missing:
    print(f"bench/classroom.py skipped: {missing.name} is missing; `make classroom` installs it")
    sys.exit(0)

STUDENTS = [f"student{n}" for n in range(1, 9)]
SOLUTION = (ROOT / "tests" / "homework" / "solutions" / "task1_reference.py").read_text()
MB = 1024 * 1024


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def tree_rss(process: psutil.Process) -> int:
    """Bytes resident in ``process`` and all its descendants (those still alive)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def tree_pss(process: psutil.Process) -> int:
    """Like tree_rss, but each page shared with other processes counted in proportion (PSS):
    what a student adds to the machine, since their servers share the same libraries."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_full_info().pss
        except (psutil.NoSuchProcess, AttributeError):
            continue
    return total


def servers(hub_pid: int) -> dict[str, psutil.Process]:
    """Each student's single-user server among the hub's children, by JUPYTERHUB_USER."""
    found = {}
    for child in psutil.Process(hub_pid).children():
        user = child.environ().get("JUPYTERHUB_USER")
        if user:
            found[user] = child
    return found


def hub_overhead(hub_pid: int) -> int:
    """The hub and its proxy: the hub's process and its children that are not users'."""
    hub = psutil.Process(hub_pid)
    proxy = [c for c in hub.children() if not c.environ().get("JUPYTERHUB_USER")]
    return hub.memory_info().rss + sum(tree_rss(process) for process in proxy)


class Peaks:
    """The highest RSS of each student's tree while a block runs, sampled every 0.1 s."""

    def __init__(self, trees: dict[str, psutil.Process]) -> None:
        self.trees = trees
        self.peak = dict.fromkeys(trees, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for name, process in self.trees.items():
                self.peak[name] = max(self.peak[name], tree_rss(process))
            self._stop.wait(0.1)

    def __enter__(self) -> Peaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def lesson(students: list[Student], trees: dict[str, psutil.Process]) -> dict:
    """Lesson 2 for ``students`` at once: each one's wall time, peak and steady memory."""
    notebooks = [await s.read_notebook(LESSON) for s in students]
    started = load()

    async def one(student: Student, notebook: object) -> float:
        begun = time.perf_counter()
        ran = await student.run(LESSON, notebook, keep=True)
        assert ran.errors == [], (student.name, ran.errors)
        return time.perf_counter() - begun

    chosen = {s.name: trees[s.name] for s in students}
    with Peaks(chosen) as peaks:
        begun = time.perf_counter()
        walls = await asyncio.gather(*(one(s, n) for s, n in zip(students, notebooks, strict=True)))
        span = time.perf_counter() - begun
        await asyncio.sleep(3)
        steady = {name: tree_rss(process) for name, process in chosen.items()}
        shared = {name: tree_pss(process) for name, process in chosen.items()}
    for student in students:
        await student.shut_down()
    return {
        "students": len(students),
        "load_at_start": started,
        "load_at_end": load(),
        "wall_s": [round(w, 1) for w in walls],
        "whole_class_s": round(span, 1),
        "peak_mb": [round(peaks.peak[s.name] / MB) for s in students],
        "steady_mb": [round(steady[s.name] / MB) for s in students],
        "steady_pss_mb": [round(shared[s.name] / MB) for s in students],
    }


async def homework(students: list[Student], trees: dict[str, psutil.Process]) -> dict:
    """Homework 1, solved, with its check, for ``students`` at once: wall time and peak."""
    notebooks = [solved(await s.read_notebook(HOMEWORK), SOLUTION) for s in students]
    started = load()
    with Peaks(trees) as peaks:
        begun = time.perf_counter()
        ran = await asyncio.gather(
            *(s.run(HOMEWORK, n) for s, n in zip(students, notebooks, strict=True))
        )
        span = time.perf_counter() - begun
    assert all(r.errors == [] for r in ran)
    return {
        "students": len(students),
        "load_at_start": started,
        "whole_class_s": round(span, 1),
        "peak_mb": [round(peaks.peak[s.name] / MB) for s in students],
    }


async def measure(hub: object) -> dict:
    figures: dict = {"hub_idle_mb": round(hub_overhead(hub.process.pid) / MB), "load": load()}
    await enrol(hub, STUDENTS)
    students = [Student(hub, name) for name in STUDENTS]
    for student in students:
        await student.log_in()
    await asyncio.gather(*(s.start_server() for s in students))
    await asyncio.gather(*(s.pull_course() for s in students))
    await asyncio.sleep(3)
    trees = servers(hub.process.pid)
    figures["server_idle_mb"] = [round(tree_rss(trees[name]) / MB) for name in STUDENTS]
    figures["server_idle_pss_mb"] = [round(tree_pss(trees[name]) / MB) for name in STUDENTS]
    figures["alone"] = await lesson(students[:1], trees)
    figures["eight"] = await lesson(students, trees)
    figures["homework_eight"] = await homework(students, trees)
    figures["hub_with_eight_mb"] = round(hub_overhead(hub.process.pid) / MB)
    for student in students:
        await student.client.aclose()
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, jupyterhub(Path(folder)) as hub:
        figures = asyncio.run(measure(hub))
    figures["cores"] = os.cpu_count()
    out = ROOT / "artifacts" / "classroom" / "figures.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
