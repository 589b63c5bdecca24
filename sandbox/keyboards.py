"""Reply markup: validated like Telegram, flattened into buttons a test can press."""

from __future__ import annotations

from typing import Any, NamedTuple

from sandbox.errors import bad_request

_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")
MAX_CALLBACK_DATA_BYTES = 64


class Button(NamedTuple):
    """An inline button: its text and its callback data (or URL for a URL button)."""

    text: str
    data: str | None


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check a `reply_markup` the way Telegram does; return it unchanged."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _validate_rows(markup["keyboard"], "keyboard")
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def inline_buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    """Rows of inline buttons of a (validated) markup; empty for other keyboards."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [Button(button["text"], button.get("callback_data", button.get("url"))) for button in row]
        for row in markup["inline_keyboard"]
    ]


def reply_keyboard(markup: dict[str, Any] | None) -> list[list[str]] | None:
    """Rows of button texts of a reply keyboard, or None when there is none."""
    if not markup or "keyboard" not in markup:
        return None
    return [
        [button if isinstance(button, str) else str(button["text"]) for button in row]
        for row in markup["keyboard"]
    ]


def find_inline_button(
    markup: dict[str, Any] | None, text: str | None, callback_data: str | None
) -> dict[str, Any] | None:
    """The raw inline button matching `text` and/or `callback_data`, if any."""
    if not markup or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if text is not None and button["text"] != text:
                continue
            if callback_data is not None and button.get("callback_data") != callback_data:
                continue
            return dict(button)
    return None


def _validate_rows(rows: Any, field: str) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" of the reply markup must be an Array of Arrays')


def _validate_inline_keyboard(rows: Any) -> None:
    _validate_rows(rows, "inline_keyboard")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            actions = [name for name in _INLINE_ACTIONS if name in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(_URL_SCHEMES):
                    raise bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )
