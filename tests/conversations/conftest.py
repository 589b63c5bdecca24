"""What every conversation test checks after it runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import Sandbox
from tests.conversations.helpers import assert_sandbox_buttons_fit


@pytest.fixture(autouse=True)
def _every_button_fits(sandbox: Sandbox) -> Iterator[None]:
    """After each test: every button shown, in every edit, carries at most 64 bytes."""
    yield
    assert_sandbox_buttons_fit(sandbox)
