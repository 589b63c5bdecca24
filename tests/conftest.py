"""Fixtures shared by every layer's tests live in tests/fixtures/ and are registered here."""

from hypothesis import settings

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.sandbox",
    "tests.fixtures.bot",
    "tests.fixtures.dashboard",
]

# Property tests check correctness, not speed: on a loaded two-core machine an example can
# take longer than Hypothesis's default 200 ms deadline, which would fail a correct test.
settings.register_profile("interval", deadline=None)
settings.load_profile("interval")
