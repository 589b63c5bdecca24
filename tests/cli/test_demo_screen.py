"""The demo's terminal screen: what it prints for the files the bot sends."""

from __future__ import annotations

from bot.demo.terminal import Screen
from sandbox.records import BotMessage, FileRecord


def _file(name: str) -> FileRecord:
    return FileRecord("id", "unique", name, b"content", None)


def test_a_document_and_a_picture_are_named_above_their_caption() -> None:
    screen = Screen()
    document = BotMessage(
        1, 1001, "sendDocument", 0, 0.0, text="Your calendar", document=_file("a.ics")
    )
    picture = BotMessage(2, 1001, "sendPhoto", 0, 0.0, text="Your timeline", photo=_file("t.png"))
    assert screen.render(document) == "── Interval ──\n[file: a.ics]\nYour calendar\n"
    assert screen.render(picture) == "── Interval ──\n[picture: t.png]\nYour timeline\n"
