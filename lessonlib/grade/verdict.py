"""The grade, decided in the grader's process: the record a kernel showed is checked for the
signs of tampering, then judged by the grader's own copy of the checks. For a task whose
scenario the worker held (`lessonlib.homework.far_scenario`), what is judged is the worker's
own record of it, and the kernel's shows only that the grading cell ran and what its audit saw."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..homework import checks
from ..homework.far_scenario import HELD
from ..homework.plain import BadRecord
from ..homework.report import Report

TAMPERING = "tampering suspected"


@dataclass(slots=True)
class Verdict:
    """A row's status and, when there is one, its report (as `Report.to_dict` plus text)."""

    status: str
    report: dict[str, Any] | None = None


def judge(ran: dict[str, Any], task: str, seed: int, token: str) -> Verdict:
    """The verdict on what the worker brought back from the kernel."""
    status = str(ran.get("status", "grading failed: no status"))
    if status not in ("ran",) and not ran.get("died"):
        return Verdict(status)
    records = ran.get("records") or []
    grading_cell = ran.get("grading_cell")
    signs = [
        f"cell {r.get('cell')} of the notebook displayed a grading record itself"
        for r in records
        if r.get("cell") != grading_cell
    ]
    mine = [r["data"] for r in records if r.get("cell") == grading_cell]
    if any(not isinstance(d, dict) or d.get("token") != token for d in mine):
        signs.append("a grading record without the grading cell's token was displayed")
    if len(mine) > 1:
        signs.append(f"the grading cell displayed {len(mine)} records, not one")
    if mine and ran.get("died"):
        signs.append("the kernel died after the record was shown (os._exit after a result?)")
    if mine and ran.get("grading_error"):
        signs.append(f"the grading cell raised {ran['grading_error']} after its record")
    if not mine and not signs:
        if ran.get("died"):
            return Verdict(status)
        why = ran.get("grading_error") or "the grading cell did not finish"
        return Verdict(f"no result: {why}")
    if signs:
        return _tampered(task, seed, signs)
    data = mine[0]
    signs += [str(s) for s in data.get("tampering") or []]
    if signs:
        return _tampered(task, seed, signs)
    held = task in HELD
    observation = ran.get("held") if held else data.get("observation")
    if held and not isinstance(observation, dict):
        sign = "a grading record was shown, but the grader's scenario was never played"
        return _tampered(task, seed, [sign])
    if held and "failure" in observation:
        return Verdict(f"grading failed: {observation['failure']}"[:300])
    try:
        report = checks.conclude(task, seed, observation or {})
    except (BadRecord, KeyError, TypeError, ValueError, AttributeError) as error:
        return _tampered(task, seed, [f"the record is not what the check writes ({error})"])
    mismatch = [] if held else _against_script(task, seed, observation or {})
    if mismatch:
        return _tampered(task, seed, mismatch)
    return Verdict("graded", report.to_dict() | {"text": str(report)})


def _tampered(task: str, seed: int, signs: list[str]) -> Verdict:
    why = f"{TAMPERING}: {'; '.join(dict.fromkeys(signs))}"[:600]
    module = checks.TASKS[task]
    report = Report(task, module.TITLE, [c.failed(why) for c in module.CHECKS], [why], seed)
    return Verdict(why, report.to_dict() | {"text": str(report)})


def _against_script(task: str, seed: int, observation: dict[str, Any]) -> list[str]:
    """What the record says the scenario's own script was, against that script drawn here
    from the seed: a record whose outages (say) are not the scenario's was not made by it."""
    if "seen" not in observation:
        return []
    from ..homework.plain import from_plain

    recorded = from_plain(observation["seen"])
    try:
        _, script = checks.TASKS[task].scenario(_Stubs(), seed)
    except Exception:
        return []
    kind = type(script)
    fresh = kind()
    found = []
    for field in dataclasses.fields(kind):
        truth = getattr(script, field.name)
        if truth != getattr(fresh, field.name) and getattr(recorded, field.name, None) != truth:
            found.append(f"the record's {field.name} are not those of the scenario's script")
    return found


class _Anything(type):
    """A class with every method, each an ``async def`` taking anything: enough for a
    scenario to be set up (and its script drawn) without any student code."""

    def __getattr__(cls, name: str) -> Any:
        async def method(*args: Any, **kwargs: Any) -> None:
            return None

        return method


class _Stub(metaclass=_Anything):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


class _Stubs(dict):
    def get(self, key: Any, default: Any = None) -> Any:
        return _Stub

    def __getitem__(self, key: Any) -> Any:
        return _Stub
