"""The overview's SVG charts: their y axis reads in round steps that match its lines."""

from __future__ import annotations

import re
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from bot.web.dashboard.charts import MOST_STEPS, bar_chart, line_chart, ticks

NICE_STEPS = {f * 10**k for f in (1, 2, 5) for k in range(8)}


@given(st.integers(min_value=0, max_value=10**7))
def test_the_ticks_start_at_zero_are_evenly_spaced_in_round_steps_and_cover_the_largest(
    largest: int,
) -> None:
    axis = ticks(largest)
    assert axis[0] == 0
    steps = {b - a for a, b in pairwise(axis)}
    assert len(steps) == 1
    assert steps <= NICE_STEPS
    assert axis[-1] >= largest
    assert 1 <= len(axis) - 1 <= MOST_STEPS
    # Not needlessly tall: one step fewer would no longer cover the largest value.
    assert axis[-2] < max(largest, 5)


def test_a_top_of_five_reads_one_to_five_and_ten_reads_in_twos() -> None:
    assert ticks(5) == [0, 1, 2, 3, 4, 5]
    assert ticks(10) == [0, 2, 4, 6, 8, 10]
    assert ticks(0) == [0, 1, 2, 3, 4, 5]
    assert ticks(37) == [0, 10, 20, 30, 40]


def _axis_labels(svg: str) -> list[tuple[float, int]]:
    found = re.findall(r'<text class="axis" x="[\d.]+" y="([\d.]+)" text-anchor="end">(\d+)<', svg)
    return [(float(y), int(value)) for y, value in found]


def test_each_axis_label_sits_on_its_line_at_its_value() -> None:
    labels = [f"w{i}" for i in range(12)]
    for svg in (
        line_chart("Members", labels, [10] * 12),
        bar_chart("Weekly", labels, [7] * 12, [10] * 12, ("a", "b")),
    ):
        found = _axis_labels(str(svg))
        assert [value for _, value in found] == [0, 2, 4, 6, 8, 10]
        ys = [y for y, _ in found]
        gaps = {round(a - b, 1) for a, b in pairwise(ys)}
        assert len(gaps) == 1


def test_a_chart_keeps_its_title_and_fits_a_phone_without_shrinking_its_text() -> None:
    svg = str(line_chart("Members <at> the end", ["a"], [3]))
    assert "<title>Members &lt;at&gt; the end</title>" in svg
    assert 'role="img"' in svg
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))  # type: ignore[union-attr]
    # A card on a 390 px phone is about 350 px wide: the text is drawn near 1:1.
    assert width <= 400
