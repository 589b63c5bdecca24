"""An accessibility audit in the real browser: axe-core, shipped in tests/browser/assets/.

axe is injected with `page.add_script_tag(content=...)`: an inline script. The dashboard's
Content-Security-Policy rightly refuses inline scripts, so the audit runs in a browser
context opened with `bypass_csp=True` (`audit`), signed in with the same cookies as the
staff member's context. The staff member's own context keeps the policy enforced, so the
pages' own scripts are still proven to work under it; only the auditor is exempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from playwright.async_api import BrowserContext, Page

from tests.browser.conftest import NewContext

AXE_PATH = Path(__file__).parent / "assets" / "axe.min.js"

# What fails a test; "moderate" and "minor" findings are printed for a person to weigh.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


@dataclass(frozen=True, slots=True)
class Violation:
    """One axe rule broken on a page: which, how badly, and where."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"[{self.impact}] {self.rule}: {self.help} — at {where}"


@cache
def axe_source() -> str:
    """The axe-core bundle's text (read once)."""
    return AXE_PATH.read_text(encoding="utf-8")


_RUN_AXE = """
async () => {
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
        rule: v.id,
        impact: v.impact || "unknown",
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(" ")),
    }));
}
"""


async def violations(page: Page) -> list[Violation]:
    """Run axe on the page as it is now; every violation found."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=axe_source())
    found = await page.evaluate(_RUN_AXE)
    return [
        Violation(rule=v["rule"], impact=v["impact"], help=v["help"], targets=tuple(v["targets"]))
        for v in found
    ]


async def assert_accessible(page: Page, name: str) -> list[Violation]:
    """No serious or critical violation on the page; lesser ones printed and returned."""
    found = await violations(page)
    lesser = [v for v in found if v.impact not in BLOCKING_IMPACTS]
    for violation in lesser:
        print(f"axe, {name}: {violation}")
    blocking = [v for v in found if v.impact in BLOCKING_IMPACTS]
    assert not blocking, f"axe, {name}:\n" + "\n".join(str(v) for v in blocking)
    return lesser


async def audit(
    new_context: NewContext, signed_in: BrowserContext, url: str, name: str
) -> list[Violation]:
    """Open `url` as the `signed_in` context's user, CSP bypassed for axe; assert as above."""
    auditor = await new_context(bypass_csp=True, storage_state=await signed_in.storage_state())
    page = await auditor.new_page()
    try:
        await page.goto(url)
        return await assert_accessible(page, name)
    finally:
        await auditor.close()
