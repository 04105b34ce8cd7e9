"""Grading a class: ``python -m lessonlib.grade SUBMISSIONS... --out grades.csv``.

Every submitted notebook runs in a fresh kernel of its own, in a process of its own with a
time limit, so that no submission (a syntax error, an endless loop, ``os._exit``, a file that
is not a notebook) can stop the batch. The checks then run on the grading seed.
"""
