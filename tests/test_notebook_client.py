"""The kernel channels the notebooks run on read a message that has arrived even when the
socket's wake-up was consumed before their poll saw it (nbclient's would wait out its timeout:
a cell's reply read two minutes late)."""

from __future__ import annotations

import asyncio

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

from lessonlib.notebook_client import (
    POLL_SLICE,
    WakefulChannel,
    WakefulKernelClient,
    WakefulKernelManager,
    notebook_client,
)


async def _read_after_a_lost_wakeup(
    channel_class: type[AsyncZMQSocketChannel], guard: float
) -> str:
    """A message sent while the reader polls, its socket's edge consumed by a raw EVENTS read
    before the poll sees it; what the reader then gets within ``guard`` seconds."""
    context = zmq.asyncio.Context()
    sender, receiver = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
    sender.bind("inproc://kernel")
    receiver.connect("inproc://kernel")
    session = Session()
    channel = channel_class(receiver, session)
    try:
        reading = asyncio.create_task(channel.get_msg(timeout=None))
        await asyncio.sleep(0.05)  # the reader is in its poll
        session.send(zmq.Socket.shadow(sender.underlying), "execute_reply", {"status": "ok"})
        zmq.Socket.shadow(receiver.underlying).getsockopt(zmq.EVENTS)  # the edge, consumed
        async with asyncio.timeout(guard):
            return (await reading)["header"]["msg_type"]
    finally:
        sender.close(linger=0)
        receiver.close(linger=0)
        context.term()


def test_a_message_whose_wakeup_was_lost_is_read_all_the_same() -> None:
    got = asyncio.run(_read_after_a_lost_wakeup(WakefulChannel, guard=30))  # against a hang
    assert got == "execute_reply"


def test_the_plain_channel_sleeps_through_such_a_message() -> None:
    """What the wakeful channel is for: the plain one waits out its timeout (here, a guard
    several slices long)."""
    try:
        asyncio.run(_read_after_a_lost_wakeup(AsyncZMQSocketChannel, guard=4 * POLL_SLICE))
    except TimeoutError:
        return
    raise AssertionError("the plain channel read it: the wakeful one is no longer needed")


def test_a_notebook_runs_on_the_wakeful_channels() -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    client = notebook_client(notebook, kernel_name="python3", timeout=60)
    assert client.kernel_manager_class is WakefulKernelManager
    client.execute()
    assert notebook.cells[0].outputs[0]["text"] == "42\n"
    kernel_client = WakefulKernelManager().client()
    assert isinstance(kernel_client, WakefulKernelClient)
    assert kernel_client.shell_channel_class is WakefulChannel
