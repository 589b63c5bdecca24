"""Bot API request parameters from JSON, form or multipart bodies, typed on access.

Telegram reads every parameter as a string unless the body is JSON, and decodes it
according to the parameter's type; python-telegram-bot relies on that and sends
form or multipart fields with JSON-encoded values for objects (`reply_markup`,
`scope`, `allowed_updates`) and bare strings for text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox.errors import bad_request


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    mime_type: str | None


class Params:
    """Parameters of one Bot API call; getters coerce strings like Telegram does."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name) is not None

    def raw(self) -> dict[str, object]:
        """Every parameter, files replaced by their names (for records and logs)."""
        return {
            name: (f"<file {value.filename}>" if isinstance(value, UploadedFile) else value)
            for name, value in self._values.items()
        }

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """A string parameter, or `default` when absent."""
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        raise bad_request(f'parameter "{name}" must be a string')

    def required_str(self, name: str, missing: str | None = None) -> str:
        """A string parameter that must be present."""
        value = self.get_str(name)
        if value is None:
            raise bad_request(missing or f"{name} is empty")
        return value

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter, or `default` when absent."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise bad_request(f"invalid {name} specified") from None
        raise bad_request(f"invalid {name} specified")

    def required_int(self, name: str) -> int:
        """An integer parameter that must be present."""
        value = self.get_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def get_float(self, name: str, default: float | None = None) -> float | None:
        """A number parameter, or `default` when absent."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise bad_request(f"invalid {name} specified") from None
        raise bad_request(f"invalid {name} specified")

    def get_bool(self, name: str, default: bool = False) -> bool:
        """A boolean parameter (`true`/`false`, `1`/`0`, or JSON booleans)."""
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.lower() in {"true", "1"}:
            return True
        if isinstance(value, str) and value.lower() in {"false", "0", ""}:
            return False
        raise bad_request(f"invalid {name} specified")

    def get_json(self, name: str) -> Any:
        """A JSON-typed parameter (object or array), decoded when sent as a string."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        if isinstance(value, UploadedFile):
            raise bad_request(f"can't parse {name} JSON object")
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer, or a `@username` string."""
        value = self._values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                return text
        raise bad_request(f"invalid {name} specified")

    def file_or_str(self, name: str) -> UploadedFile | str | None:
        """An InputFile parameter: an uploaded part, or a file id / URL / `attach://` name."""
        value = self._values.get(name)
        if value is None or isinstance(value, UploadedFile):
            return value
        if isinstance(value, str):
            if value.startswith("attach://"):
                attached = self._values.get(value.removeprefix("attach://"))
                if isinstance(attached, UploadedFile):
                    return attached
                raise bad_request(f"wrong remote file identifier specified: {value}")
            return value
        raise bad_request(f"invalid {name} specified")


async def read_params(request: web.Request) -> Params:
    """Merge the query string and the body (JSON, form or multipart) of a request."""
    values: dict[str, object] = dict(request.query)
    content_type = request.content_type
    if request.can_read_body:
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            values.update(body)
        elif content_type == "multipart/form-data":
            values.update(await _read_multipart(request))
        else:
            # Telegram treats any other body as form fields, as PTB sends them.
            form = await request.post()
            values.update({key: value for key, value in form.items() if isinstance(value, str)})
    return Params(values)


async def _read_multipart(request: web.Request) -> dict[str, object]:
    values: dict[str, object] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            content = await part.read(decode=True)
            values[part.name] = UploadedFile(
                filename=part.filename,
                content=bytes(content),
                mime_type=part.headers.get("Content-Type"),
            )
        else:
            values[part.name] = await part.text()
    return values
