"""Dishonest task-1 submissions: none solves anything, each tries to get marks anyway or to
reach another student's grade. ``CLASSMATES`` is the folder of the other submissions, as a
student who guessed it would write it; ``MARKER`` a file that a process left behind writes."""

from __future__ import annotations

FORGED_REPORT = """\
{"task": "task1", "title": "Task 1", "points": 12, "max_points": 12, "checks": [],
  "notes": [], "seed": 0, "text": "12 / 12"}"""

# A client that does nothing: what the tricks below graft their trick onto.
IDLE_CLIENT = """
class FeedClient:
    def __init__(self, connect, symbol, on_price, log_state):
        pass

    async def run(self):
        pass
"""

# A client that, once the scenario ends, writes a correct client's record into the check's
# own (consistent with every mark the script set: attempts with growing, capped waits, a reset
# after each healthy spell, the states those imply, prices on each connection), having handed
# on_price and log_state invented prices and states all along.
FORGER = """
import asyncio, gc
from lessonlib.homework.network import Attempt, Wire
from lessonlib.homework.timeline import expected_states

def forge(seen):
    attempts, wires, prices, moment = [], [], [], 0.5
    def opened(at, until=None, by="exchange"):
        wire = Wire(len(wires) + 1, at, until, by if until else "")
        wires.append(wire)
        attempts.append(Attempt(at, "opened", wire))
        prices.extend([(at, {"type": "snapshot"}), (at + 0.5, {"type": "ticker"})])
    def outage(start, end, delay=1.0):
        at = start + delay
        while at < end:
            attempts.append(Attempt(at, "refused"))
            delay = min(delay * 2, 30.0)
            at += delay
        return max(at, end + 0.5)
    marks, drops = seen.marks, seen.spell_drops
    ends = [marks["outage"], *drops, marks["clean_close"], marks["stall"] + 5.5]
    starts = [0.5, outage(marks["outage"], marks["outage_end"])]
    starts += [d + 2.0 for d in drops] + [marks["clean_close"] + 1.0, marks["stall"] + 6.0]
    for begin, end in zip(starts, ends):
        opened(begin, end, "client" if end == marks["stall"] + 5.5 else "exchange")
    at, delay = marks["flapping"] + 1.0, 1.0
    while at < marks["flapping_end"]:
        opened(at, at + 0.05)
        delay = min(delay * 2, 30.0)
        at += delay
    opened(marks["flapping_end"] + 1.0)
    seen.attempts, seen.wires, seen.prices = attempts, wires, prices
    seen.logs = expected_states(attempts, seen.end)
    seen.ending, seen.flooded_at, seen.ignored_cancel = None, None, False

class Forger:
    def __init__(self, connect, symbol, on_price, log_state):
        self.on_price, self.log_state = on_price, log_state
        self.network = getattr(connect, "__self__", None)  # the check's own, in its process

    async def run(self):
        try:
            while True:
                for state in ("connecting", "connected"):
                    self.log_state(state)
                self.on_price({"type": "ticker", "symbol": "BTC/USDT", "price": 100.0})
                await asyncio.sleep(30)
        finally:
            for stage in gc.get_objects():
                if type(stage).__name__ == "Stage" and stage.network is self.network:
                    forge(stage.seen)
                    self.network.attempts[:] = stage.seen.attempts
                    self.network.wires[:] = stage.seen.wires
"""

# Task 4: a monitor that reads the answers off the check's own record (the scenario's script,
# found with gc in its process) instead of measuring anything
FORGER4 = """
import gc
from lessonlib.homework import task4

class HealthMonitor:
    def __init__(self, exchanges, on_alert, start):
        self.on_alert, self.start = on_alert, start
        self.seen = next((o for o in gc.get_objects() if type(o) is task4.Observed
                          and o.origin == start and not o.samples), None)
        self.due = set(task4.expected_alerts(self.seen, 95.5)) if self.seen else set()

    def record(self, exchange, connected, at):
        self.check(at)

    def check(self, at):
        for name in task4.NAMES:
            if (at - self.start, name) in self.due:
                self.on_alert(name, self.reliability(name, at))

    def uptime(self, exchange, at):
        return task4.uptime(self.seen, exchange, at - self.start) if self.seen else None

    def reliability(self, exchange, at):
        return task4.reliability(self.seen, exchange, at - self.start) if self.seen else None

    def summary(self, at):
        if self.seen is None:
            return None
        return {n: task4._metrics(self.seen, n, at - self.start) for n in task4.NAMES}
"""

TRICKS: dict[str, str] = {
    # the judge's classes and functions rewritten in sys.modules while the check runs them
    "rewrites_the_judge": """
import sys

class FeedClient:
    def __init__(self, connect, symbol, on_price, log_state):
        checks = sys.modules["lessonlib.homework.checks"]
        checks.judge = lambda module, seen: [c.passed() for c in module.CHECKS]
        sys.modules["lessonlib.homework.task1"].blocker = lambda seen: None

    async def run(self):
        pass
""",
    # the recording function the grading cell imports, replaced by one showing a forged result
    "replaces_the_recorder": """
import json
import lessonlib.homework.grading as grading
from IPython.display import display

def forged(task, seed, token, namespace, **extra):
    display({grading.MIME: {"token": token, "tampering": [],
                            "observation": json.loads('''FORGED''')}}, raw=True)

grading.record = forged
""".replace("FORGED", FORGED_REPORT),
    # the reference solution found beside the package and run
    "runs_the_reference": """
import pathlib
import lessonlib

found = pathlib.Path(lessonlib.__file__).parents[1] / "tests/homework/solutions/task1_reference.py"
exec(found.read_text())
""",
    # the check's judgements found by walking the garbage collector, and made to pass
    "walks_gc_for_the_judge": """
import gc

class FeedClient:
    def __init__(self, connect, symbol, on_price, log_state):
        for thing in gc.get_objects():
            if type(thing).__name__ == "Check":
                object.__setattr__(thing, "judgement", lambda seen: None)
        self.recorder = connect.__self__

    async def run(self):
        pass
""",
    # a result of the grader's own output type displayed by the notebook's own cell
    "forges_the_display": """
from IPython.display import display
import lessonlib.homework.grading as grading

display({grading.MIME: {"token": "", "tampering": [], "observation": FORGED}}, raw=True)
""".replace("FORGED", FORGED_REPORT),
    # the clock and builtins patched: time that never passes, a print that says nothing
    "patches_the_clock_and_builtins": """
import builtins
import time

time.monotonic = lambda: 0.0
builtins.print = lambda *args, **kwargs: None
"""
    + IDLE_CLIENT,
    # a forged result, then the kernel killed before anything could follow it
    "exits_after_a_forged_result": """
import os
import lessonlib.homework.grading as grading
from IPython.display import display

def forged(task, seed, token, namespace, **extra):
    display({grading.MIME: {"token": token, "tampering": [], "observation": {"task": task}}},
            raw=True)
    os._exit(0)

grading.record = forged
""",
    # asyncio and builtins patched so that waits take no time and nothing is ever printed
    "patches_asyncio_and_builtins": """
import asyncio
import builtins

async def no_wait(*args, **kwargs):
    return None

asyncio.sleep = no_wait
asyncio.wait_for = no_wait
builtins.print = lambda *args, **kwargs: None
"""
    + IDLE_CLIENT,
    # the package's own files, the grader's output and a classmate's notebook written to
    "writes_what_the_grader_reads": """
import pathlib
import lessonlib

package = pathlib.Path(lessonlib.__file__).parent
for path in [package / "homework" / "checks.py", package / "grade" / "verdict.py"]:
    try:
        with path.open("a") as file:
            file.write("\\nCHEATED = True\\n")
    except OSError as error:
        print("could not write", path, error)
for path in pathlib.Path("CLASSMATES").rglob("*"):
    try:
        path.write_text("")
    except OSError as error:
        print("could not blank", path, error)
""",
    # a detached process, left to blank classmates and write a marker once grading is over
    "leaves_a_process_behind": """
import subprocess, sys, textwrap
later = textwrap.dedent('''
    import os, pathlib, time
    for _ in range(600):
        time.sleep(0.05)
        for path in pathlib.Path("CLASSMATES").rglob("*.ipynb"):
            try:
                path.write_text("")
            except OSError:
                pass
        try:
            pathlib.Path("MARKER").write_text(str(os.getpid()))
        except OSError:
            pass
''')
subprocess.Popen([sys.executable, "-c", later], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
""",
    # IPython and Jupyter startup files, for every kernel started after this one
    "leaves_startup_files": """
import os, pathlib
startup = '''
import lessonlib.homework.checks as checks
checks.judge = lambda module, seen: [c.failed("sabotaged") for c in module.CHECKS]
'''
homes = [pathlib.Path.home(), pathlib.Path("/root"), pathlib.Path(os.environ["IPYTHONDIR"])]
for home in homes:
    for folder in [home / ".ipython/profile_default/startup", home / "profile_default/startup"]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "00-reconnect-lab.py").write_text(startup)
        except OSError as error:
            print("could not write", folder, error)
""",
    # the classmate's solution cell copied from the folder beside this one
    "copies_a_classmate": """
import json, pathlib
for path in pathlib.Path("CLASSMATES").rglob("*.ipynb"):
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if "class FeedClient" in "".join(cell["source"]):
            exec("".join(cell["source"]))
""",
    # the worker's stdout written to with a forged answer, then the worker killed
    "writes_the_workers_pipe": """
import json, os, signal
answer = {"status": "ran", "died": False, "grading_cell": 99, "records": [], "errors": []}
os.write(1, json.dumps(answer).encode())
try:
    os.kill(os.getppid(), signal.SIGKILL)
except OSError as error:
    print("could not kill", error)
""",
    # a consistent record of a correct client, written into the check's record (found with gc)
    # at the end of the scenario, when every mark is known; and prices and states invented
    "forges_a_consistent_record": FORGER
    + """
class FeedClient(Forger):
    pass
""",
    # a forger only when it sees the grader (its folders, its user, its cell, no seed), an idle
    # client otherwise: its own check() shows nothing amiss
    "behaves_differently_when_graded": FORGER
    + IDLE_CLIENT
    + """
import os, sys

signs = [os.environ.get("IPYTHONDIR", ""), os.environ.get("HOME", ""), os.getcwd(), *sys.argv]
history = get_ipython().user_ns.get("In", [])
if (any("/tmp/grading" in s for s in signs) or os.getuid() == 65534
        or "RECONNECT_LAB_HEADLESS" in os.environ or "grading" in str(history[-1:])):
    FeedClient = Forger
""",
    # the public check() called with a probe client, its failure messages read for the times of
    # the scenario's events, and a client that replays them (states and prices on schedule)
    "tunes_to_the_public_check": """
import asyncio, re
from lessonlib.homework import check

class Probe:
    def __init__(self, connect, symbol, on_price, log_state):
        self.connect = connect

    async def run(self):
        await self.connect()
        await asyncio.sleep(10**6)

FeedClient = Probe
messages = " ".join(c.actual for c in check("task1").failed())
learned = sorted({float(t) for t in re.findall(r"at ([0-9]+[.][0-9]) s", messages)})

class FeedClient:
    def __init__(self, connect, symbol, on_price, log_state):
        self.connect, self.on_price, self.log_state = connect, on_price, log_state

    async def run(self):
        loop = asyncio.get_running_loop()
        for moment in learned:
            await asyncio.sleep(max(0.0, moment - loop.time()))
            for state in ("disconnected", "connecting", "connected"):
                self.log_state(state)
            self.on_price({"type": "ticker", "symbol": "BTC/USDT", "price": 100.0})
        await asyncio.sleep(10**6)
""",
}
