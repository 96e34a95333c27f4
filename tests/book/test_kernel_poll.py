"""convbn_tools.kernel_poll: the sliced wait keeps get_msg's contract."""

import asyncio
import time
from queue import Empty

import pytest
import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

from convbn_tools import kernel_poll


@pytest.fixture
def channel_pair(monkeypatch):
    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", AsyncZMQSocketChannel.get_msg)
    monkeypatch.setattr(kernel_poll, "SLICE_SECONDS", 0.05)
    kernel_poll.patch()
    kernel_poll.patch()  # a second call changes nothing
    context = zmq.asyncio.Context()
    receiver, sender = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
    port = receiver.bind_to_random_port("tcp://127.0.0.1")
    sender.connect(f"tcp://127.0.0.1:{port}")
    session = Session()
    yield AsyncZMQSocketChannel(receiver, session), sender, session
    receiver.close(0)
    sender.close(0)
    context.term()


def test_patch_is_installed_once(channel_pair):
    assert AsyncZMQSocketChannel.get_msg._convbn_sliced


def test_timeout_still_raises_empty_after_several_slices(channel_pair):
    channel, _, _ = channel_pair
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(channel.get_msg(timeout=0.3))
    assert time.monotonic() - start >= 0.25


def test_a_message_arriving_after_some_slices_is_returned(channel_pair):
    channel, sender, session = channel_pair

    async def scenario():
        async def send_later():
            await asyncio.sleep(0.2)  # four slices of 0.05 s
            session.send(sender, "execute_reply", {"status": "ok"})

        task = asyncio.ensure_future(send_later())
        message = await channel.get_msg(timeout=None)
        await task
        return message

    message = asyncio.run(scenario())
    assert message["msg_type"] == "execute_reply"
    assert message["content"] == {"status": "ok"}
