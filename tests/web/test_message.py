"""A broadcast's body on the dashboard: shown as members read it, never as raw markup."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.web.dashboard.message import ELLIPSIS, as_shown, excerpt, source_html


def test_telegrams_formatting_is_drawn_and_its_source_is_not_shown() -> None:
    shown = str(as_shown("<b>Closed on Monday</b>, <i>back</i> on <u>Tuesday</u>"))
    assert shown == "<strong>Closed on Monday</strong>, <em>back</em> on <u>Tuesday</u>"


def test_a_typed_script_tag_is_shown_as_text() -> None:
    assert str(as_shown("Hi &lt;script&gt;alert(2)&lt;/script&gt;")) == (
        "Hi &lt;script&gt;alert(2)&lt;/script&gt;"
    )


def test_markup_telegram_does_not_know_is_dropped_and_its_text_escaped() -> None:
    shown = str(as_shown('<script>alert(1)</script><img src=x onerror="y"><b>ok'))
    assert "<script" not in shown
    assert "<img" not in shown
    assert shown == "alert(1)<strong>ok</strong>"


def test_links_keep_only_a_web_address_and_never_a_script_one() -> None:
    shown = str(as_shown('<a href="https://x.example/?a=1&amp;b=2">site</a>'))
    assert shown == (
        '<a href="https://x.example/?a=1&amp;b=2" rel="nofollow noopener noreferrer">site</a>'
    )
    assert str(as_shown('<a href="javascript:alert(1)">x</a>')) == "x"


@given(st.text(alphabet=st.sampled_from(list("<>/&\"' abiscrpt=")), max_size=60))
def test_whatever_the_body_no_tag_but_telegrams_comes_out(body: str) -> None:
    shown = str(as_shown(body))
    for bad in ("<script", "<p", "<t", "<c>", "<r"):
        assert bad not in shown


def test_the_lists_excerpt_is_plain_text_cut_at_a_word_with_an_ellipsis() -> None:
    body = "<b>Closed on Monday</b> for a training day; we reopen on Tuesday at nine, see you"
    cut = excerpt(body, 40)
    assert cut == "Closed on Monday for a training day; we" + ELLIPSIS
    assert len(cut) <= 40
    assert excerpt("<b>Short</b> &amp; sweet") == "Short & sweet"


def test_an_address_in_a_source_is_a_link_showing_only_its_host() -> None:
    shown = str(
        source_html("Published clinic aftercare, e.g. Dr.Pen (drpenskincare.com/blog/post-care)")
    )
    assert shown == (
        "Published clinic aftercare, e.g. Dr.Pen ("
        '<a class="address" href="https://drpenskincare.com/blog/post-care" '
        'rel="nofollow noopener noreferrer">drpenskincare.com</a>)'
    )
    assert str(source_html("Tom & Jerry's <notes>")) == "Tom &amp; Jerry&#39;s &lt;notes&gt;"
