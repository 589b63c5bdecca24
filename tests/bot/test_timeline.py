"""The timeline picture: what it says (the view), and that it draws to a readable PNG."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from itertools import pairwise

import pytest
from matplotlib.image import imread
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from bot.i18n import translator
from bot.render.outlook import EN_DASH
from bot.render.timeline import HEIGHT_PX, MAX_TICKS, WIDTH_PX, TimelineView, timeline_view
from bot.render.timeline_drawing import png_bytes, timeline_figure, timeline_png
from bot.usecases.schedule import Schedule
from rules import Procedure
from tests.bot.schedules import TODAY, a_long_history, a_realistic_year, schedule_of
from tests.images import png_size

EN = translator("en")
ES = translator("es")
B, M = Procedure.BOTOX, Procedure.MICRONEEDLING


def _drawn_texts(view: TimelineView) -> list[str]:
    figure = timeline_figure(view)
    figure.canvas.draw()
    return [text.get_text() for text in figure.findobj(Text) if text.get_text()]


# --- what the picture says ----------------------------------------------------------------


def test_the_view_shows_past_and_planned_treatments_windows_first_days_and_today() -> None:
    view = timeline_view(a_realistic_year(), EN)
    assert view.today == TODAY
    assert view.start <= date(2026, 8, 18)
    assert view.end >= date(2027, 3, 15)
    assert [(m.procedure, m.day, m.planned) for m in view.marks] == [
        (B, date(2026, 8, 18), False),
        (M, date(2026, 10, 27), False),
        (B, date(2026, 12, 15), True),
        (M, date(2027, 1, 19), True),
    ]
    assert [(s.procedure, s.start, s.end, s.number) for s in view.shades] == [
        (B, date(2026, 11, 24), date(2027, 3, 14), 1),
        (M, date(2026, 12, 9), date(2027, 2, 15), 2),
    ]
    assert [(f.procedure, f.day, f.label) for f in view.first_days] == [
        (B, date(2027, 3, 15), "15 Mar"),
        (M, date(2026, 11, 24), "24 Nov"),
    ]
    assert view.lanes == ((B, "Botox"), (M, "Microneedling"))
    assert view.title == "Your timeline"
    assert view.subtitle == "As of Tue, 24 Nov 2026"


def test_treatments_older_than_the_recent_past_stay_off_unless_the_last_of_their_kind() -> None:
    view = timeline_view(a_realistic_year(), EN)
    # 12 May and 30 Jun are more than 120 days back, and not the last of their kind.
    assert date(2026, 5, 12) not in {m.day for m in view.marks}
    assert date(2026, 6, 30) not in {m.day for m in view.marks}
    lonely = timeline_view(schedule_of([(B, date(2026, 3, 2))]), EN)
    assert [m.day for m in lonely.marks] == [date(2026, 3, 2)], "the last Botox within a year"
    gone = timeline_view(schedule_of([(B, date(2025, 3, 2))]), EN)
    assert gone.marks == ()


def test_each_numbered_window_is_explained_with_its_decisive_reason() -> None:
    view = timeline_view(a_realistic_year(), EN)
    assert view.reasons_heading == "Why those days:"
    assert [number for number, _text in view.reasons] == [1, 2]
    first = view.reasons[0][1].replace("\n", " ")
    assert first == (
        f"24 Nov {EN_DASH} 14 Mar 2027: because of your planned Botox on 15 Dec, Botox should "
        "wait until 15 Mar: "
        "at least 90 days after Botox (and 3 more reasons: see /next)"
    )
    assert view.more is None
    assert view.footer.replace("\n", " ") == (
        "This is guidance, not medical advice. Please confirm the timing with your provider "
        "before booking."
    )


def test_windows_beyond_the_space_of_the_legend_are_counted_not_dropped() -> None:
    # Microneedling planned every 40 days: every one of them opens windows in both lanes.
    view = timeline_view(schedule_of((M, TODAY + timedelta(days=40 * i)) for i in range(1, 10)), EN)
    listed = len(view.reasons)
    assert 0 < listed < len(view.shades)
    assert view.more == f"… and {len(view.shades) - listed} more"
    assert [number for number, _text in view.reasons] == list(range(1, listed + 1))


def test_a_history_with_nothing_ahead_says_so() -> None:
    view = timeline_view(schedule_of([(B, date(2026, 6, 1))]), EN)
    assert view.shades == ()
    assert view.reasons == ()
    assert view.reasons_heading == "No days to wait ahead."
    assert {f.day for f in view.first_days} == {TODAY}


@pytest.mark.parametrize("size", [1, 10, 100])
def test_date_labels_in_one_lane_never_crowd_each_other(size: int) -> None:
    view = timeline_view(a_long_history(size), EN)
    pixels_per_day = 0.92 * WIDTH_PX / view.days
    for procedure in Procedure:
        days = sorted(
            [m.day for m in view.marks if m.procedure is procedure and m.label is not None]
            + [f.day for f in view.first_days if f.procedure is procedure]
        )
        gaps = [(later - earlier).days * pixels_per_day for earlier, later in pairwise(days)]
        assert all(gap >= 80 for gap in gaps), (procedure, days)
    assert 2 <= len(view.ticks) <= MAX_TICKS


def test_the_view_in_spanish_uses_spanish_words_and_dates() -> None:
    view = timeline_view(a_realistic_year(), ES)
    assert view.title == "Tu cronología"
    assert view.subtitle == "A fecha de mar, 24 nov 2026"
    assert view.lanes == ((B, "Bótox"), (M, "Microneedling"))
    assert view.key.today == "hoy"
    assert [f.label for f in view.first_days] == ["15 mar", "24 nov"]
    assert "1 ene\n2027" in [label for _day, label in view.ticks]
    assert (
        view.reasons[0][1]
        .replace("\n", " ")
        .startswith(
            f"24 nov {EN_DASH} 14 mar 2027: por tu bótox previsto el 15 dic, el bótox debería "
            "esperar hasta el 15 mar"
        )
    )
    assert view.footer.startswith("Esto es una orientación, no un consejo médico.")


# --- the drawing --------------------------------------------------------------------------


def test_the_picture_is_a_png_of_a_phone_screens_width() -> None:
    png = timeline_png(a_realistic_year(), EN)
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX) == (1080, 1350)
    pixels = imread(BytesIO(png), format="png")
    assert pixels.shape[:2] == (1350, 1080)
    assert pixels.std() > 0.05, "not a blank picture"


def test_the_picture_draws_every_text_of_the_view() -> None:
    view = timeline_view(a_realistic_year(), ES)
    drawn = _drawn_texts(view)
    expected = [view.title, view.subtitle, view.reasons_heading, view.footer, "Hoy"]
    expected += [name for _p, name in view.lanes]
    expected += [label for _day, label in view.ticks]
    expected += [f.label for f in view.first_days]
    expected += [m.label for m in view.marks if m.label is not None]
    expected += [text for _n, text in view.reasons] + [str(s.number) for s in view.shades]
    expected += [view.key.planned, view.key.first_day, view.key.wait, view.key.today]
    missing = [text for text in expected if text not in drawn]
    assert not missing, missing


@pytest.mark.parametrize(
    ("schedule", "language"),
    [
        (a_realistic_year(), "en"),
        (a_realistic_year(), "es"),
        (a_long_history(100), "es"),
        (schedule_of((M, TODAY + timedelta(days=40 * i)) for i in range(1, 10)), "es"),
    ],
    ids=["realistic-en", "realistic-es", "100-entries-es", "many-windows-es"],
)
def test_no_text_runs_off_the_picture_or_into_the_footer(schedule: Schedule, language: str) -> None:
    view = timeline_view(schedule, translator(language))
    figure = timeline_figure(view)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [text for text in figure.findobj(Text) if text.get_text() and text.get_visible()]
    footer = next(text for text in texts if text.get_text() == view.footer)
    footer_top = footer.get_window_extent(renderer).y1
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0, text.get_text()
        assert box.x1 <= WIDTH_PX, text.get_text()
        assert box.y0 >= 0, text.get_text()
        assert box.y1 <= HEIGHT_PX, text.get_text()
        if text is not footer:
            assert box.y0 > footer_top, f"{text.get_text()!r} overlaps the footer"


def test_every_window_is_hatched_so_colour_is_not_the_only_cue() -> None:
    view = timeline_view(a_realistic_year(), EN)
    figure = timeline_figure(view)
    hatched = [p for p in figure.findobj(Rectangle) if p.get_hatch()]
    # One hatched patch per window, and the key's sample.
    assert len(hatched) == len(view.shades) + 1


def test_the_same_view_draws_the_same_picture() -> None:
    view = timeline_view(a_realistic_year(), EN)
    assert png_bytes(timeline_figure(view)) == png_bytes(timeline_figure(view))
