"""Fixtures shared by every layer's tests live in tests/fixtures/ and are registered here."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.sandbox",
    "tests.fixtures.bot",
]
