"""Bot API errors with the exact envelope and wording Telegram uses."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """400 with Telegram's `Bad Request: ...` prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 with Telegram's `Forbidden: ...` prefix."""
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 carrying `retry_after` the way Telegram does."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def conflict(reason: str) -> ApiError:
    """409 with Telegram's `Conflict: ...` prefix."""
    return ApiError(409, f"Conflict: {reason}")


def not_found() -> ApiError:
    """404 for an unknown method or path."""
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    """401 for a token the server does not know."""
    return ApiError(401, "Unauthorized")


CHAT_NOT_FOUND = "chat not found"
BLOCKED = "bot was blocked by the user"
