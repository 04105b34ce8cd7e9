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

def forged(task, seed, token, namespace):
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

def forged(task, seed, token, namespace):
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
}
