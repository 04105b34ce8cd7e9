"""Mutation testing of the homework checks: each task's reference solution mutated by
cosmic-ray, one mutant at a time, with the task's check as the test.

A mutant is killed when the check takes points off it on the public seed or on one graded
seed. A surviving mutant is a wrong solution the check passes, unless it is equivalent (it
behaves as the reference does for every rule the task states): those are listed, with the
reason, in tests/homework/MUTANTS.md. `make mutation` runs this (slow: minutes a task); it
prints the score of each task, the survivors that MUTANTS.md does not explain and the mutants
it lists that are now killed, and fails when there are any.

    python scripts/mutation.py [task1 ...]           run and report
    python scripts/mutation.py --judge TASK FILE     the test command: exit 0 on full marks
"""

from __future__ import annotations

import argparse
import json
import linecache
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "tests" / "homework" / "solutions"
EQUIVALENTS = ROOT / "tests" / "homework" / "MUTANTS.md"
TASKS = ("task1", "task2", "task3", "task4")
SEEDS = (None, 3)  # the public seed, then one graded seed
MUTANT_TIMEOUT = 300.0  # seconds one mutant's check may take (a harness bound, not a verdict)
# A line of MUTANTS.md: "- task1 line 6: `INITIAL_DELAY = 0.5` → `INITIAL_DELAY = 1.5`: why"
LISTED = re.compile(r"^- (task\d) line \d+: `(.*)` → `(.*)`: (.+)$")


def judge(task: str, path: Path) -> int:
    """0 when the solution in ``path`` gets full marks on every seed of `SEEDS`, else 1."""
    sys.path.insert(0, str(ROOT))
    from lessonlib.homework.checks import grade

    code = path.read_text()
    filename = f"<mutant of {path.name}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    for seed in SEEDS:
        namespace: dict[str, Any] = {"__name__": "__main__"}
        try:
            exec(compile(code, filename, "exec"), namespace)
        except Exception as error:  # a mutant that does not even define its class
            print(f"the mutant does not run: {error!r}")
            return 1
        report = grade(task, namespace, seed=seed)
        if report.points < report.max_points:
            print(report)
            return 1
    return 0


@dataclass(frozen=True)
class Mutant:
    """One mutation of a reference solution and how the check took it."""

    task: str
    operator: str
    line: int
    before: str  # the reference's line that the mutation changes
    after: str  # the line as the mutant has it ("" when removed)
    killed: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.task, self.before, self.after)

    def listing(self) -> str:
        return f"- {self.task} line {self.line}: `{self.before}` → `{self.after}`: "


def run_task(task: str, work: Path) -> list[Mutant]:
    """Every mutant of ``task``'s reference solution, run against the check by cosmic-ray."""
    target = work / f"{task}_reference.py"
    shutil.copy(SOLUTIONS / f"{task}_reference.py", target)
    lines = target.read_text().splitlines()
    config = work / f"{task}.toml"
    session = work / f"{task}.sqlite"
    command = f"{sys.executable} {Path(__file__).resolve()} --judge {task} {target}"
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(str(target))}\n"
        f"timeout = {MUTANT_TIMEOUT}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    cosmic_ray = str(Path(sys.executable).with_name("cosmic-ray"))
    subprocess.run([cosmic_ray, "init", str(config), str(session)], check=True)
    subprocess.run([cosmic_ray, "exec", str(config), str(session)], check=True)
    dump = subprocess.run(
        [cosmic_ray, "dump", str(session)], check=True, capture_output=True, text=True
    ).stdout
    rows = [json.loads(row) for row in dump.splitlines()]
    rows.sort(key=lambda row: (row[0]["mutations"][0]["start_pos"], _operator(row)))
    mutants: list[Mutant] = []
    for job, result in rows:
        mutation = job["mutations"][0]
        line = int(mutation["start_pos"][0])
        outcome = (result or {}).get("test_outcome")
        after = _mutated_line(str((result or {}).get("diff", "")))
        mutants.append(
            Mutant(
                task,
                str(mutation["operator_name"]),
                line,
                lines[line - 1].strip(),
                after,
                outcome != "survived",
            )
        )
    return mutants


def _mutated_line(diff: str) -> str:
    """The first line the mutation added, from cosmic-ray's unified diff."""
    added = [
        line[1:].strip()
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    return added[0] if added else ""


def _operator(row: list[Any]) -> tuple[str, int]:
    mutation = row[0]["mutations"][0]
    return str(mutation["operator_name"]), int(mutation["occurrence"])


def listed_equivalents() -> set[tuple[str, str, str]]:
    """(task, line, mutated line) of each surviving mutant that MUTANTS.md explains."""
    found = set()
    for line in EQUIVALENTS.read_text().splitlines() if EQUIVALENTS.exists() else []:
        match = LISTED.match(line.strip())
        if match:
            task, before, after, _why = match.groups()
            found.add((task, before, after))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help="some of " + ", ".join(TASKS) + " (all)")
    parser.add_argument("--judge", nargs=2, metavar=("TASK", "FILE"))
    parser.add_argument("--work", type=Path, help="keep the sessions here (default: a temp dir)")
    args = parser.parse_args()
    if args.judge:
        return judge(args.judge[0], Path(args.judge[1]))
    unknown = [task for task in args.tasks if task not in TASKS]
    if unknown:
        parser.error(f"tasks must be among {', '.join(TASKS)}, got {', '.join(unknown)}")
    equivalents = listed_equivalents()
    unexplained: list[Mutant] = []
    stale: list[Mutant] = []
    with tempfile.TemporaryDirectory(prefix="mutation-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        for task in args.tasks or TASKS:
            mutants = run_task(task, work)
            killed = sum(m.killed for m in mutants)
            survivors = [m for m in mutants if not m.killed]
            listed = [m for m in survivors if m.key in equivalents]
            print(
                f"{task}: {killed} / {len(mutants)} mutants killed; "
                f"{len(listed)} survivors explained in MUTANTS.md, "
                f"{len(survivors) - len(listed)} not",
                flush=True,
            )
            for mutant in survivors:
                if mutant not in listed:
                    print("  survived, not in MUTANTS.md:", mutant.listing(), flush=True)
            unexplained += [m for m in survivors if m not in listed]
            # a listed survivor that a check now kills: MUTANTS.md must lose its line
            surviving = {m.key for m in survivors}
            killed_now = [
                m for m in mutants if m.killed and m.key in equivalents and m.key not in surviving
            ]
            for mutant in killed_now:
                print("  killed, yet listed in MUTANTS.md:", mutant.listing(), flush=True)
            stale += killed_now
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
