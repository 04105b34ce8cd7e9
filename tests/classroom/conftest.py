"""The classroom runs with `make classroom`: it installs the hub (pyproject.toml's `hub`
extra and configurable-http-proxy) and sets RECONNECT_LAB_CLASSROOM=1."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

if os.environ.get("RECONNECT_LAB_CLASSROOM") != "1":
    pytest.skip(
        "classroom tests skipped: `make classroom` runs them (a real JupyterHub, ~minutes)",
        allow_module_level=True,
    )
pytest.importorskip("jupyterhub", reason="classroom tests need `pip install -e .[hub]`")
