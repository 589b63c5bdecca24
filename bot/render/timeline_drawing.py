"""Drawing a `TimelineView` as a PNG: matplotlib's object API on its Agg canvas.

No pyplot: its global figure registry and "current figure" have no place in a server that
draws for several patients at once (callers run this in a worker thread). The canvas is
set per figure (`FigureCanvasAgg`), so no global backend is chosen or needed. Every text
uses the DejaVu Sans files that ship inside matplotlib, by path: nothing is looked up on the
machine or fetched. Colours are the Okabe-Ito palette, and none is the only cue: each
procedure has its own lane and marker shape, planned entries are hollow, days to wait are
hatched and numbered, the first possible day is a star and today a dashed line.
"""

from __future__ import annotations

import threading
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from bot.i18n import Translator
from bot.render.timeline import (
    AXES_BOX,
    DPI,
    FOOTER_BOTTOM,
    HEIGHT_PX,
    LANES,
    LINE,
    REASON_GAP,
    REASONS_TOP,
    WIDTH_PX,
    TimelineView,
    timeline_view,
)
from bot.render.words import capitalised
from bot.usecases.schedule import Schedule
from rules import Procedure

# Okabe & Ito (2008), "Color Universal Design": told apart with every common colour-vision
# deficiency, and dark enough on white to read as a line.
COLOURS = {Procedure.BOTOX: "#0072B2", Procedure.MICRONEEDLING: "#D55E00"}
MARKERS = {Procedure.BOTOX: "o", Procedure.MICRONEEDLING: "s"}
FIRST_DAY_COLOUR = "#009E73"
PAST_COLOUR = "#F0F0F0"
LANE_COLOUR = "#B0B0B0"
KEY_GREY = "#555555"
INK = "#000000"
HATCH = "//"
TODAY_DASHES = (0, (6, 4))
LANE_GAP = 1.5  # data units between the lanes' middle lines

_FONTS = Path(matplotlib.get_data_path(), "fonts", "ttf")
# matplotlib promises nothing about drawing in several threads at once (its font caches and
# text layout are shared), so pictures are drawn one at a time; each takes a fraction of a
# second, and waiting for the lock happens in the caller's worker thread, not the event loop.
_DRAWING = threading.Lock()


@cache
def _font(size: float, face: str = "") -> FontProperties:
    # Cached and shared: every Text copies the properties it is given, so none is changed.
    return FontProperties(fname=_FONTS / f"DejaVuSans{face}.ttf", size=size)


def _lane_y(procedure: Procedure) -> float:
    return (len(LANES) - 1 - LANES.index(procedure)) * LANE_GAP


def _x(view: TimelineView, day: date) -> float:
    """The middle of `day`'s cell on the axis (a day is one unit wide)."""
    return (day - view.start).days + 0.5


def _text(
    where: Axes | Figure, x: float, y: float, text: str, font: FontProperties, **style: Any
) -> None:
    # Our texts hold "$" nowhere on purpose, but a label must never turn into mathtext.
    where.text(x, y, text, fontproperties=font, parse_math=False, **style)


def _label(ax: Axes, x: float, y: float, text: str, font: FontProperties) -> None:
    # A white backing, so the today line or hatching never runs through a date.
    backing = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"}
    _text(ax, x, y, text, font, ha="center", va="top", zorder=7, bbox=backing)


def _draw_lanes(ax: Axes, view: TimelineView) -> None:
    for procedure, name in view.lanes:
        y = _lane_y(procedure)
        ax.axhline(y, color=LANE_COLOUR, linewidth=1.5, zorder=1)
        backing = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"}
        _text(
            ax, 0.01, y + 0.62, name, _font(18, "-Bold"),
            transform=ax.get_yaxis_transform(), zorder=7, bbox=backing,
        )  # fmt: skip


def _draw_shades(ax: Axes, view: TimelineView) -> None:
    for shade in view.shades:
        y, colour = _lane_y(shade.procedure), COLOURS[shade.procedure]
        left, width = (shade.start - view.start).days, (shade.end - shade.start).days + 1
        corner = (left, y - 0.2)
        ax.add_patch(Rectangle(corner, width, 0.4, facecolor=colour, alpha=0.22, linewidth=0))
        # The hatching opaque, in a patch of its own: the cue that needs no colour.
        ax.add_patch(
            Rectangle(corner, width, 0.4, fill=False, hatch=HATCH, edgecolor=colour, linewidth=1.5)
        )
        circle = {"boxstyle": "circle,pad=0.22", "facecolor": "white", "edgecolor": colour}
        _text(
            ax, left + width / 2, y + 0.36, str(shade.number), _font(14, "-Bold"),
            ha="center", va="center", zorder=5, bbox=circle,
        )  # fmt: skip


def _draw_marks(ax: Axes, view: TimelineView) -> None:
    for procedure in LANES:
        colour = COLOURS[procedure]
        for planned in (False, True):
            days = [m.day for m in view.marks if m.procedure is procedure and m.planned is planned]
            ax.plot(
                [_x(view, day) for day in days], [_lane_y(procedure)] * len(days),
                linestyle="none", marker=MARKERS[procedure], markersize=17, markeredgewidth=3,
                markerfacecolor="white" if planned else colour, markeredgecolor=colour, zorder=4,
            )  # fmt: skip
    for mark in view.marks:
        if mark.label is not None:
            _label(ax, _x(view, mark.day), _lane_y(mark.procedure) - 0.3, mark.label, _font(13))
    for first in view.first_days:
        x, y = _x(view, first.day), _lane_y(first.procedure)
        ax.plot(
            [x], [y], linestyle="none", marker="*", markersize=28, markeredgewidth=1.5,
            markerfacecolor=FIRST_DAY_COLOUR, markeredgecolor=INK, zorder=6,
        )  # fmt: skip
        _label(ax, x, y - 0.3, first.label, _font(13, "-Bold"))


def _draw_today(ax: Axes, view: TimelineView, top: float) -> None:
    x = _x(view, view.today)
    ax.axvspan(0, x, color=PAST_COLOUR, linewidth=0, zorder=0)
    ax.axvline(x, color=INK, linestyle=TODAY_DASHES, linewidth=2.5, zorder=3)
    box = {"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": INK}
    _text(
        ax, x, top - 0.05, capitalised(view.key.today), _font(15, "-Bold"),
        ha="center", va="top", zorder=8, bbox=box,
    )  # fmt: skip


def _draw_axis(ax: Axes, view: TimelineView) -> None:
    top = _lane_y(LANES[0]) + 1.15
    ax.set_xlim(0, view.days)
    ax.set_ylim(-0.62, top)
    _draw_today(ax, view, top)
    _draw_lanes(ax, view)
    _draw_shades(ax, view)
    _draw_marks(ax, view)
    ax.set_yticks([])
    ax.set_xticks(
        [_x(view, day) for day, _label in view.ticks],
        labels=[label for _day, label in view.ticks],
        fontproperties=_font(14),
    )
    ax.tick_params(axis="x", length=6, width=1.5)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_linewidth(1.5)


def _draw_key(figure: Figure, view: TimelineView) -> None:
    ax = figure.add_axes((0.04, 0.445, 0.92, 0.075))
    ax.set_axis_off()
    names = dict(view.lanes)
    dot: dict[str, Any] = {"linestyle": "none", "markersize": 14}
    handles = [
        *(Line2D([], [], marker=MARKERS[p], color=COLOURS[p], label=names[p], **dot)
          for p in LANES),
        Line2D(
            [], [], marker="o", markerfacecolor="white", markeredgecolor=KEY_GREY,
            markeredgewidth=2.5, label=view.key.planned, **dot,
        ),
        Line2D(
            [], [], marker="*", markerfacecolor=FIRST_DAY_COLOUR, markeredgecolor=INK,
            label=view.key.first_day, **{**dot, "markersize": 20},
        ),
        Patch(facecolor="white", edgecolor=KEY_GREY, hatch=HATCH, label=view.key.wait),
        Line2D([], [], color=INK, linestyle=TODAY_DASHES, linewidth=2.5, label=view.key.today),
    ]  # fmt: skip
    ax.legend(
        handles=handles, loc="center", ncols=2, frameon=False, prop=_font(15),
        handlelength=2.0, columnspacing=2.5, borderaxespad=0,
    )  # fmt: skip


def _draw_reasons(figure: Figure, view: TimelineView) -> None:
    y = REASONS_TOP
    _text(figure, 0.04, y, view.reasons_heading, _font(16, "-Bold"), va="top")
    y -= 1.6 * LINE
    for number, text in view.reasons:
        _text(figure, 0.04, y, str(number), _font(15, "-Bold"), va="top")
        _text(figure, 0.085, y, text, _font(15), va="top", linespacing=1.3)
        y -= (text.count("\n") + 1 + REASON_GAP) * LINE
    if view.more is not None:
        _text(figure, 0.085, y, view.more, _font(15), va="top")
    _text(
        figure, 0.04, FOOTER_BOTTOM, view.footer, _font(13, "-Oblique"),
        va="bottom", linespacing=1.3,
    )  # fmt: skip


def timeline_figure(view: TimelineView) -> Figure:
    """The picture of `view`, WIDTH_PX x HEIGHT_PX, on its own Agg canvas."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    _text(figure, 0.04, 0.975, view.title, _font(26, "-Bold"), va="top")
    _text(figure, 0.04, 0.935, view.subtitle, _font(16), va="top")
    _draw_axis(figure.add_axes(AXES_BOX), view)
    _draw_key(figure, view)
    _draw_reasons(figure, view)
    return figure


def png_bytes(figure: Figure) -> bytes:
    """`figure` as a PNG of exactly its size (no tight bounding box: the size is fixed)."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def timeline_png(schedule: Schedule, t: Translator) -> bytes:
    """The /timeline picture of `schedule`; CPU-bound, so callers run it off the event loop."""
    view = timeline_view(schedule, t)
    with _DRAWING:
        return png_bytes(timeline_figure(view))
