"""The overview's two charts, drawn as SVG on the server: no script, no chart library.

Counts below `SMALLEST_SHOWN` are drawn as zero-height (and labelled "fewer than 5" in the
table beside each chart), so a chart never shows more than the numbers on the page do.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from bot.render.counts import SMALLEST_SHOWN

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40


def _shown(value: int) -> int:
    return value if value >= SMALLEST_SHOWN else 0


def _scale(values: Sequence[int]) -> int:
    """A round top for the y axis at or above the largest value."""
    top = max([SMALLEST_SHOWN, *values])
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if top <= step * 4:
            return -(-top // step) * step
    magnitude: int = 10 ** (len(str(top)) - 1)
    return int(-(-top // magnitude) * magnitude)


def _frame(title: str, top: int, labels: Sequence[str]) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for index, label in enumerate(labels):
        if index % 2:
            continue
        x = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def line_chart(title: str, labels: Sequence[str], values: Sequence[int]) -> Markup:
    """One series as a line with dots (members at the end of each week)."""
    shown = [_shown(v) for v in values]
    top = _scale(shown)
    parts = _frame(title, top, labels)
    plot_h = HEIGHT - TOP - BOTTOM
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
    top = _scale(a + b)
    parts = _frame(title, top, labels)
    plot_h = HEIGHT - TOP - BOTTOM
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
    legend_y = HEIGHT - 8
    for index, (name, css) in enumerate(zip(names, ("series-a", "series-b"), strict=True)):
        x = LEFT + index * 200
        parts.append(
            f'<rect class="{css}" x="{x}" y="{legend_y - 10}" width="12" height="12"/>'
            f'<text class="legend" x="{x + 18}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
