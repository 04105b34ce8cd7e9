"""Running a notebook headless (the test suite, the grader, the soak) with nbclient, on kernel
channels that cannot sleep through a message that has already arrived.

pyzmq's asyncio poll waits for an edge of the socket's ZMQ_FD, and that edge can be consumed
before the poll sees it; the poll then returns only at its timeout. nbclient polls for a
cell's reply with the whole cell timeout, so a reply that came at once was read two minutes
late (seen about once in every forty notebook runs), and a grader would call such a cell
timed out. Polling in short slices bounds what a missed edge costs to one slice.
"""

from __future__ import annotations

import asyncio
from queue import Empty
from typing import Any

import nbformat
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import Type

POLL_SLICE = 0.25  # real seconds a missed edge can cost before the socket is looked at again


class WakefulChannel(AsyncZMQSocketChannel):
    """A kernel channel whose `get_msg` looks at its socket again every `POLL_SLICE`."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            left = POLL_SLICE if deadline is None else deadline - loop.time()
            try:
                return await super().get_msg(timeout=max(0.0, min(POLL_SLICE, left)))
            except Empty:
                if deadline is not None and loop.time() >= deadline:
                    raise


class WakefulKernelClient(AsyncKernelClient):
    """nbclient's kernel client with `WakefulChannel` for the channels it waits on."""

    shell_channel_class = Type(WakefulChannel)  # type: ignore[assignment]
    iopub_channel_class = Type(WakefulChannel)  # type: ignore[assignment]
    control_channel_class = Type(WakefulChannel)  # type: ignore[assignment]


class WakefulKernelManager(AsyncKernelManager):
    """An `AsyncKernelManager` whose clients are `WakefulKernelClient`s."""

    client_factory = Type(WakefulKernelClient)  # type: ignore[assignment]


def notebook_client(notebook: nbformat.NotebookNode, **options: Any) -> NotebookClient:
    """A `NotebookClient` for ``notebook`` (options as nbclient's) on wakeful channels."""
    return NotebookClient(notebook, kernel_manager_class=WakefulKernelManager, **options)
