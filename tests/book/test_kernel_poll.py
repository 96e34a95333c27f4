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


def test_command_runs_a_notebook_in_its_folder_with_the_patch(tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", AsyncZMQSocketChannel.get_msg)
    (tmp_path / "data.txt").write_text("41")
    path = tmp_path / "lesson.ipynb"
    nbformat.write(
        new_notebook(cells=[new_code_cell("print(int(open('data.txt').read()) + 1)")]),
        path,
    )
    assert kernel_poll.main([str(path), "--timeout", "60"]) == 0
    executed = nbformat.read(tmp_path / "lesson.executed.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "42\n"
    assert AsyncZMQSocketChannel.get_msg._convbn_sliced  # the run was patched


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.ipynb"], "no such notebook: missing.ipynb"),
        (["{nb}", "--timeout", "0"], "--timeout must be a positive number"),
        (["{nb}", "--inplace", "--output-dir", "out"], "not allowed with argument"),
    ],
)
def test_command_names_bad_arguments(tmp_path, capsys, arguments, message):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}")
    arguments = [a.replace("{nb}", str(notebook)) for a in arguments]
    with pytest.raises(SystemExit) as stop:
        kernel_poll.main(arguments)
    assert stop.value.code == 2 and message in capsys.readouterr().err
