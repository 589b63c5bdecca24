"""The overview's two charts, drawn as SVG on the server: no script, no chart library.

Counts below `SMALLEST_SHOWN` are drawn as zero-height (and labelled "fewer than 5" in the
table beside each chart), so a chart never shows more than the numbers on the page do.

The drawing is 360 units wide, about the width of a card on a 390 px phone, so its 13-unit
text stays about 13 px there; on a wide screen it scales up with the card (never past
`max-width` in dashboard.css, so it does not turn huge).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from bot.render.counts import SMALLEST_SHOWN

WIDTH = 360
# Room for the y axis's labels on the left, and for half the last week's date on the right.
LEFT, RIGHT, TOP = 36, 24, 12
PLOT_H = 136
# Below the plot: the weeks' dates; the bar chart adds a legend line per series.
AXIS_H, LEGEND_H = 30, 36
# Gaps between lines on the y axis: at most this many.
MOST_STEPS = 5


def _shown(value: int) -> int:
    return value if value >= SMALLEST_SHOWN else 0


def ticks(largest: int) -> list[int]:
    """The y axis's labels: 0 up to at least `largest`, in steps of 1, 2 or 5 times 10^k."""
    top = max(largest, SMALLEST_SHOWN)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            count = -(-top // step)
            if count <= MOST_STEPS:
                return [step * i for i in range(count + 1)]
        magnitude *= 10


def _frame(title: str, axis: Sequence[int], labels: Sequence[str], height: int) -> list[str]:
    plot_h = PLOT_H
    top = axis[-1]
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for value in axis:
        y = TOP + plot_h - plot_h * value / top
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    # Every third week's date fits the narrow drawing; the table below has them all.
    every = 3 if len(labels) > 6 else 1
    for index, label in enumerate(labels):
        if (len(labels) - 1 - index) % every:
            continue
        x = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{TOP + PLOT_H + 18}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def line_chart(title: str, labels: Sequence[str], values: Sequence[int]) -> Markup:
    """One series as a line with dots (members at the end of each week)."""
    shown = [_shown(v) for v in values]
    axis = ticks(max(shown, default=0))
    top = axis[-1]
    parts = _frame(title, axis, labels, TOP + PLOT_H + AXIS_H)
    plot_h = PLOT_H
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    points = [
        (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * v / top) for i, v in enumerate(shown)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts.append(f'<polyline class="series-a" fill="none" points="{path}"/>')
    parts.extend(f'<circle class="series-a" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points)
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    title: str,
    labels: Sequence[str],
    first: Sequence[int],
    second: Sequence[int],
    names: tuple[str, str],
) -> Markup:
    """Two series side by side per week (reminders sent, bookings), with a legend."""
    a = [_shown(v) for v in first]
    b = [_shown(v) for v in second]
    axis = ticks(max(a + b, default=0))
    top = axis[-1]
    height = TOP + PLOT_H + AXIS_H + LEGEND_H
    parts = _frame(title, axis, labels, height)
    plot_h = PLOT_H
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar = slot * 0.36
    for i, (va, vb) in enumerate(zip(a, b, strict=True)):
        x = LEFT + slot * i + slot * 0.14
        for offset, value, css in ((0.0, va, "series-a"), (bar, vb, "series-b")):
            h = plot_h * value / top
            parts.append(
                f'<rect class="{css}" x="{x + offset:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"/>'
            )
    # One legend line per series: two side by side do not fit 360 units in every language.
    for index, (name, css) in enumerate(zip(names, ("series-a", "series-b"), strict=True)):
        legend_y = height - 22 + index * 17
        parts.append(
            f'<rect class="{css}" x="{LEFT}" y="{legend_y - 10}" width="12" height="12"/>'
            f'<text class="legend" x="{LEFT + 18}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
