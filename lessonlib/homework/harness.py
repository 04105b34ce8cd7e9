"""What every check needs around student code: finding it, running it as a task, and saying
what went wrong in words a student can act on."""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..i18n import tr
from .sandbox import BlockingCall, Stuck

Scenario = Callable[[], Awaitable[None]]


class NotReady(Exception):
    """The notebook does not yet have what the check needs (a name, an ``async def``...)."""


def find_class(namespace: Mapping[str, Any], name: str, methods: Mapping[str, bool]) -> type:
    """The class ``name`` from the notebook, with ``methods`` (name → must be ``async def``)."""
    found = namespace.get(name)
    if found is None:
        raise NotReady(tr("there is no `{name}` yet: run the cell that defines it", name=name))
    if not isinstance(found, type):
        raise NotReady(
            tr("`{name}` should be a class, got {kind}", name=name, kind=type(found).__name__)
        )
    for method, asynchronous in methods.items():
        function = getattr(found, method, None)
        if function is None:
            raise NotReady(tr("`{name}` has no method `{method}`", name=name, method=method))
        if asynchronous and not inspect.iscoroutinefunction(function):
            raise NotReady(tr("`{name}.{method}` must be `async def`", name=name, method=method))
    return found


def construct(cls: type, *args: Any) -> Any:
    """``cls(*args)``, with a failure reported as not ready rather than as a crash."""
    try:
        return cls(*args)
    except Exception as error:
        names = ", ".join(_arg_name(a) for a in args)
        raise NotReady(
            tr("{call} raised {error}", call=f"{cls.__name__}({names})", error=explain(error))
        ) from error


def _arg_name(value: Any) -> str:
    return getattr(value, "__name__", None) or repr(value)


def explain(error: BaseException) -> str:
    """One line: the exception and the line of student code that raised it."""
    recorded = getattr(error, "explained", None)
    if isinstance(recorded, str):  # rebuilt from a record (see `plain`): said in the kernel
        return recorded
    if isinstance(error, BlockingCall):
        return str(error)
    if isinstance(error, Stuck):
        return tr(
            "it ran without ever awaiting, so nothing else could run (a loop that never waits?)"
        )
    if isinstance(error, NotImplementedError):
        return tr("not done yet (it raises NotImplementedError)")
    where = ""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if "lessonlib" not in f.filename and "asyncio" not in f.filename
    ]
    if frames:
        frame = frames[-1]
        line = (frame.line or "").strip()
        where = (
            f" (in {frame.name}: `{line}`)" if line else f" (in {frame.name}, line {frame.lineno})"
        )
    message = str(error)
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


@dataclass(slots=True)
class Ending:
    """How the student's task ended before the check stopped it."""

    at: float
    error: BaseException | None

    def describe(self) -> str:
        if self.error is None:
            return tr("run() returned at {at:.1f} s", at=self.at)
        return tr("run() stopped at {at:.1f} s: {why}", at=self.at, why=explain(self.error))


def ended(ending: Ending | None) -> str:
    """ "; run() stopped at …" when the student's task ended before the check stopped it."""
    return f"; {ending.describe()}" if ending is not None else ""


def not_reached(ending: Ending | None) -> str:
    """Why a judgement has nothing to judge: the scenario was cut short before that point."""
    return tr("the scenario did not get that far") + ended(ending)


class StudentTask:
    """Runs ``make()`` (the student's ``run()``) as a task and notes how it ended."""

    def __init__(self, make: Callable[[], Awaitable[Any]]) -> None:
        self._make = make
        self.task: asyncio.Task[Any] | None = None
        self.ending: Ending | None = None
        self.ignored_cancel = False

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="student code")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self._make()
        except asyncio.CancelledError:
            raise
        except (BlockingCall, Stuck, Exception) as error:
            self.ending = Ending(loop.time(), error)
        else:
            self.ending = Ending(loop.time(), None)

    def stop_now(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def stop(self) -> None:
        """Cancel it and wait up to five simulated seconds for it to finish."""
        if self.task is None or self.task.done():
            return
        self.task.cancel()
        done, _ = await asyncio.wait({self.task}, timeout=5.0)
        if not done:
            self.ignored_cancel = True


async def maybe_await(value: Any) -> Any:
    """Student methods may be plain or ``async def``; either is fine where it makes sense."""
    if inspect.isawaitable(value):
        return await value
    return value
