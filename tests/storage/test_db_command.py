"""`interval-bot db upgrade` and `db current` against a real database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    return tmp_path / "data" / "interval.db"


def test_db_upgrade_creates_the_schema_under_the_data_directory(
    sqlite_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert sqlite_env.exists()
    assert "(current)" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0


def test_db_current_exits_one_until_the_schema_is_upgraded(
    sqlite_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current"]) == 1
    captured = capsys.readouterr()
    assert "(empty)" in captured.out
    assert "interval-bot db upgrade" in captured.err
    assert not sqlite_env.exists(), "checking must not create the database"
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert "(current)" in capsys.readouterr().out


def test_db_upgrade_against_an_unreachable_database_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:secret@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert "cannot use the database" in err
    assert "secret" not in err
    assert len(err.strip().splitlines()) == 1


def test_db_upgrade_and_current_work_on_each_backend(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0


def test_db_without_a_command_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db"]) == 2
    assert "upgrade" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["db", "db upgrade", "db current"])
def test_every_db_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command.split(), "--help"])
    assert exited.value.code == 0
    assert "usage: interval-bot db" in capsys.readouterr().out
