"""The HTML report in a real browser (Debian's chromium driven by playwright), fully offline.

Clicks the filters and the framework switch and checks what a reader sees; any request that
leaves the file (an asset, a font, a CDN) fails the test, and so does any dialog (an `alert`
from an unescaped resource name).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from railguard.report import html
from tests.report.sample import BASE, CIS, live_run

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
                       reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run does it)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                               args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    report = tmp_path / "railguard-report.html"
    report.write_text(html.render(live_run()), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.dialogs = []
    pg.external = []
    pg.errors = []

    def on_dialog(d: Any) -> None:
        pg.dialogs.append(d.message)
        d.dismiss()

    def on_route(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            pg.external.append(route.request.url)
            route.abort()

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    ctx.route("**/*", on_route)
    pg.goto(report.as_uri())
    pg.wait_for_load_state("load")
    yield pg
    ctx.close()


def _visible_items(pg: Any) -> list[str]:
    result: list[str] = pg.eval_on_selector_all(
        "details.item",
        "els => els.filter(e => e.offsetParent !== null)"
        ".map(e => e.dataset.fw + ':' + e.querySelector('.id').textContent)",
    )
    return result


def test_report_in_a_browser(page: Any, tmp_path: Path) -> None:
    pg = page
    # The script ran, nothing fired, nothing was fetched.
    assert pg.dialogs == [] and pg.external == [] and pg.errors == []
    assert pg.evaluate("document.body.classList.contains('js')")
    # Framework switch: CIS first, baseline hidden.
    shown = _visible_items(pg)
    assert shown and all(s.startswith(CIS + ":") for s in shown)
    assert len(shown) == 7
    assert pg.is_visible(f"#fw-switch button[data-fw='{CIS}'][aria-pressed='true']")
    # The hostile resource name is on the page as text.
    pg.click(f"#item-{html._slug(CIS + '-5.2')} > summary")
    assert pg.is_visible(f"#item-{html._slug(CIS + '-5.2')} >> text=<script>alert(1)</script>")
    # Result filter: untick PASS -> the PASS item disappears, tick again -> back.
    pg.uncheck("#f-result input[value='PASS']")
    shown = _visible_items(pg)
    assert f"{CIS}:1.5" not in shown and len(shown) == 6
    assert pg.inner_text("#shown") == "6 of 7 items shown"
    pg.check("#f-result input[value='PASS']")
    assert f"{CIS}:1.5" in _visible_items(pg)
    # Only FAIL.
    for r in ("PASS", "UNKNOWN", "MANUAL", "SUPPRESSED"):
        pg.uncheck(f"#f-result input[value='{r}']")
    assert _visible_items(pg) == [f"{CIS}:1.4", f"{CIS}:1.6", f"{CIS}:5.2"]
    for r in ("PASS", "UNKNOWN", "MANUAL", "SUPPRESSED"):
        pg.check(f"#f-result input[value='{r}']")
    # Severity and section filters, text search.
    pg.uncheck("#f-severity input[value='high']")
    assert _visible_items(pg) == [f"{CIS}:1.1", f"{CIS}:1.6", f"{CIS}:3.1"]
    pg.check("#f-severity input[value='high']")
    pg.select_option("#f-section", "5 Networking")
    assert _visible_items(pg) == [f"{CIS}:5.2"]
    pg.select_option("#f-section", "")
    pg.fill("#f-text", "accessdenied")
    assert _visible_items(pg) == [f"{CIS}:2.1.4"]
    pg.fill("#f-text", "")
    # Switch to the baseline: its items, its sections.
    pg.click(f"#fw-switch button[data-fw='{BASE}']")
    shown = _visible_items(pg)
    assert sorted(shown) == sorted([f"{BASE}:iam.root-mfa", f"{BASE}:net.admin-ports", f"{BASE}:ci.iac"])
    assert not pg.is_visible(f"section.fw[data-fw='{CIS}']")
    options = pg.eval_on_selector_all("#f-section option", "os => os.map(o => o.value)")
    assert options == ["", "IAM", "Network", "CI and automation"]
    # Clicking a section in the score table filters to it.
    pg.click(f"section.fw[data-fw='{BASE}'] button.sec-link[data-section='Network']")
    assert _visible_items(pg) == [f"{BASE}:net.admin-ports"]
    pg.select_option("#f-section", "")
    assert pg.is_visible(f"#item-{html._slug(BASE + '-ci.iac')} .reason-line")  # guidance, unexpanded
    pg.click("#expand")
    assert pg.evaluate("Array.from(document.querySelectorAll('details.item')).filter(e => e.open && e.offsetParent !== null).length") == 3
    pg.screenshot(path=str(tmp_path / "railguard-report.png"), full_page=True)
    assert (tmp_path / "railguard-report.png").stat().st_size > 10_000
    assert pg.dialogs == [] and pg.external == [] and pg.errors == []


def test_csp_stops_a_script_that_slipped_through(browser: Any, tmp_path: Path) -> None:
    """Defence in depth: were a value ever printed unescaped, the page's CSP would not run it."""
    page_html = html.render(live_run()).replace(
        "<footer>", "<footer><script>document.title = 'pwned'</script><img src=x onerror=\"alert(3)\">", 1)
    report = tmp_path / "tampered.html"
    report.write_text(page_html, encoding="utf-8")
    ctx = browser.new_context()
    pg = ctx.new_page()
    dialogs: list[str] = []

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    pg.on("dialog", on_dialog)
    pg.goto(report.as_uri())
    pg.wait_for_load_state("load")
    assert pg.title() != "pwned" and dialogs == []
    assert pg.evaluate("document.body.classList.contains('js')")  # the report's own script still runs
    ctx.close()


LONG_ARN = "arn:aws:iam::123456789012:role/service-role/" + "very-long-application-role-name-" * 4 + "end"


def _long_run() -> Any:
    """The sample run, with an offender whose id and ARN are far wider than a phone."""
    from dataclasses import replace

    run = live_run()
    item = next(i for i in run.items if i.framework == CIS and i.id == "5.2")
    worst = item.findings[0]
    long_one = replace(worst, resource_id=LONG_ARN.rsplit("/", 1)[-1] + "-sg-0123456789abcdef0", arn=LONG_ARN,
                       resource_name=None)
    item.findings.append(long_one)
    run.findings.append(long_one)
    return run


@pytest.mark.parametrize("width", [1280, 390])
def test_reading_at_two_widths(browser: Any, tmp_path: Path, width: int) -> None:
    """At a desktop and a phone width: nothing is wider than the screen (long ids wrap), the filter
    bar never covers the item being read, and a screenshot of each is kept for a person to look at."""
    import os

    report = tmp_path / "railguard-report.html"
    report.write_text(html.render(_long_run()), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": width, "height": 800})
    pg = ctx.new_page()
    pg.goto(report.as_uri())
    pg.wait_for_load_state("load")
    pg.click("#expand")
    assert pg.evaluate("document.documentElement.scrollWidth") <= width + 1  # long ids wrapped
    target = f"#item-{html._slug(CIS + '-5.2')}"
    sticky = pg.evaluate("getComputedStyle(document.getElementById('filters')).position") == "sticky"
    assert sticky == (width > 760)  # a phone has no room for a bar that stays on top

    def covered() -> bool:
        return bool(pg.evaluate(
            """sel => { const bar = document.getElementById('filters').getBoundingClientRect();
                        const it = document.querySelector(sel).getBoundingClientRect();
                        return getComputedStyle(document.getElementById('filters')).position === 'sticky'
                               && it.top < bar.bottom - 1; }""", target))

    pg.evaluate("sel => { location.hash = sel; }", target)  # a link to the item
    assert not covered()
    # scrolled so that the item's head sits under the bar, then opened by a click: it moves into view
    pg.click("#collapse")
    pg.evaluate("""sel => { const it = document.querySelector(sel);
                            window.scrollTo(0, window.scrollY + it.getBoundingClientRect().top - 20); }""", target)
    pg.click(f"{target} > summary .count", force=True)
    assert pg.evaluate("sel => document.querySelector(sel).open", target)
    assert not covered()
    pg.evaluate("() => window.scrollTo(0, 0)")
    shots = Path(os.environ.get("RAILGUARD_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    pg.click("#expand")
    pg.screenshot(path=str(shots / f"railguard-report-{width}.png"), full_page=True)
    assert (shots / f"railguard-report-{width}.png").stat().st_size > 10_000
    ctx.close()
