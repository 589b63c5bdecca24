"""`interval-bot sandbox`: a standalone server process that stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

import httpx
import pytest

from bot.cli.main import main


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.slow
async def test_interval_bot_sandbox_answers_get_me_and_exits_0_on_sigterm() -> None:
    port = free_port()
    command = ["-m", "bot.cli.main", "sandbox", "--port", str(port), "--overall-rate", "30"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        banner: list[str] = []
        async with asyncio.timeout(15):
            while not any(line.startswith("Control API") for line in banner):
                line = (await process.stdout.readline()).decode()
                assert line, f"the sandbox exited early: {banner}"
                banner.append(line)
        async with httpx.AsyncClient() as http:
            me = await http.get(f"http://127.0.0.1:{port}/bot123456:TEST/getMe")
            stats = await http.get(f"http://127.0.0.1:{port}/_sandbox/stats")

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert f"TELEGRAM_BASE_URL=http://127.0.0.1:{port}/bot\n" in banner
    assert me.json()["result"]["username"] == "interval_test_bot"
    assert stats.json()["ok"] is True
    assert code == 0


def test_the_sandbox_command_documents_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sandbox", "--help"])

    help_text = capsys.readouterr().out
    assert exit_.value.code == 0
    for flag in (
        "--host",
        "--port",
        "--token",
        "--overall-rate",
        "--per-chat-rate",
        "--fault-rate",
    ):
        assert flag in help_text


def test_an_unknown_fault_kind_stops_the_command_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["sandbox", "--port", "0", "--fault-rate", "0.1", "--fault-kinds", "418"])

    assert code == 2
    assert "unknown fault kinds ['418']" in capsys.readouterr().err
