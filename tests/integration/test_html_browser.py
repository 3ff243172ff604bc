"""The HTML report in a real browser: headless Chromium loads the page of a real run, with no
console error and no request, and shows the summary, the failure first with its outcome table,
swimlanes and replay command; it is usable with the keyboard, dark, and printable.

The pages and their screenshots are kept as CI artifacts in ``artifacts/`` at the repository
root: ``html-report.html``, ``html-report-light.png``, ``html-report-dark.png``,
``html-report-print.pdf`` and ``html-report-cli.html``.

Until the controlled scheduler lands, the trace, replay token and certificate of the failing
scenario are hand-built (tests/conftest.py) and added to the JSON report of the real run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chromium import Chromium, find_chromium
from harness.cli import main
from harness.report.html import document_html

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = find_chromium()
# CI sets HARNESS_REQUIRE_BROWSER=1 (.ci/run installs Chromium): there, no browser is a failure
if CHROMIUM is None and os.environ.get("HARNESS_REQUIRE_BROWSER") != "1":
    pytest.skip("no Chromium found (chromium, chromium-browser, google-chrome or $HARNESS_CHROMIUM); "
                "install it with `apt-get install -y chromium` to run the browser test", allow_module_level=True)

VISIBLE = "el => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'"
PAGE_FACTS = f"""(() => {{
  const visible = {VISIBLE};
  const first = document.querySelector("section.result");
  const replay = first.querySelector("code[id$='-replay']");
  return {{
    summary: visible(document.querySelector("#summary table")),
    firstRow: document.querySelector("#summary tbody th .name").textContent,
    first: first.querySelector("h3").textContent,
    firstClass: first.className,
    outcomes: visible(first.querySelector("table.outcomes")),
    lanes: first.querySelectorAll(".lanes .lh:not(.step-h)").length,
    conflict: visible(first.querySelector(".lanes .acc.m-conflict")),
    replay: replay && visible(replay) ? replay.textContent : null,
    copy: visible(first.querySelector("button.copy")),
    noTrace: visible(first.querySelector(".no-trace")),
  }};
}})()"""


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM is not None, "HARNESS_REQUIRE_BROWSER=1 but no Chromium found"
    chromium = Chromium(CHROMIUM)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A real run of a bundled safe scenario, a bundled canary and a copy of the canary marked
    safe (it fails): the CLI's page, and the page of its JSON report with the failure's trace."""
    tmp = tmp_path_factory.mktemp("html-run")
    canary = (ROOT / "scenarios" / "seed000_unlocked_add_canary.yaml").read_text()
    (tmp / "canary.yaml").write_text(canary)
    (tmp / "safe.yaml").write_text((ROOT / "scenarios" / "seed000_element_lock.yaml").read_text())
    (tmp / "mislabelled.yaml").write_text(canary.replace("name: seed000-unlocked-add-canary", "name: mislabelled")
                                          .replace("anomaly: lost_update", "anomaly: none"))
    assert main(["run", str(tmp), "--seed", "5", "--trials", "20", "--start-method", "fork", "--inject", "random",
                 "--json", str(tmp / "r.json"), "--html", str(tmp / "r.html")]) == 1  # timing: a page without traces
    keep(tmp / "r.html", "html-report-cli.html")
    return tmp / "r.html", tmp / "r.json"


def keep(path: Path, name: str) -> None:
    """A copy in artifacts/, replaced whole: pytest-xdist may run this module's tests in two
    workers at once, and a browser must never read a half-written page."""
    ARTIFACTS.mkdir(exist_ok=True)
    partial = ARTIFACTS / f".{name}.{os.getpid()}"
    partial.write_bytes(path.read_bytes())
    os.replace(partial, ARTIFACTS / name)


@pytest.fixture
def traced_page(pages, controlled_lost_update, certificate, tmp_path):
    doc = json.loads(pages[1].read_text())
    (failed,) = [e for e in doc["scenarios"] if e["name"] == "mislabelled"]
    failed["example"].update(trace=controlled_lost_update["trace"], replay=controlled_lost_update["replay"])
    failed["certificate"] = certificate
    # eight distinct final arrays whatever the race did this time: five in view, three folded
    failed["observed_finals"] = {"shown": [{"observed": [100 - n] * 5, "trials": 1, "first_trial": n}
                                           for n in range(1, 9)], "other_trials": 0}
    page = tmp_path / "html-report.html"
    page.write_text(document_html(doc, command="harness run scenarios/ --seed 5 --html r.html", duration_s=3.2))
    keep(page, page.name)
    return page


def test_the_cli_page_loads_cleanly_and_shows_the_failure_first(browser, pages):
    browser.open(pages[0].as_uri())
    facts = browser.evaluate(PAGE_FACTS)
    assert browser.problems() == []
    assert facts["summary"] and facts["firstRow"] == "mislabelled"
    assert facts["first"] == "FAIL mislabelled [fork]" and "r-fail" in facts["firstClass"]
    assert facts["outcomes"] and facts["noTrace"] and facts["copy"]


def test_the_traced_page_shows_swimlanes_and_the_replay_command(browser, traced_page):
    browser.open(traced_page.as_uri())
    facts = browser.evaluate(PAGE_FACTS)
    assert browser.problems() == []
    assert facts["summary"] and facts["first"] == "FAIL mislabelled [fork]"
    assert facts["outcomes"] and facts["lanes"] == 3 and facts["conflict"]
    assert facts["replay"].startswith("harness run ") and facts["replay"].endswith("--replay s1.AQIDBA")
    browser.screenshot(str(traced_page.with_suffix(".png")))
    keep(traced_page.with_suffix(".png"), "html-report-light.png")


def test_an_access_shows_its_value_on_focus_and_links_to_its_conflict(browser, traced_page):
    browser.open(traced_page.as_uri())
    tip = browser.evaluate("""(() => {
      const stale = document.querySelector(".acc.m-stale-read");
      stale.focus();
      return [document.activeElement === stale, getComputedStyle(stale, "::after").content];
    })()""")
    assert tip[0] and "read a[0] → 49" in tip[1] and "userpat.py:172" in tip[1]
    target = browser.evaluate("""(() => {
      document.querySelector(".acc.m-stale-read a[href$='-s91']").click();
      return [location.hash, getComputedStyle(document.querySelector(location.hash)).outlineStyle];
    })()""")
    assert target[0].endswith("-s91") and target[1] != "none"


def test_the_keyboard_reaches_the_summary_and_a_copy_button(browser, traced_page):
    browser.open(traced_page.as_uri())
    keys = {"key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9}
    browser.page("Input.dispatchKeyEvent", {"type": "keyDown", **keys})
    browser.page("Input.dispatchKeyEvent", {"type": "keyUp", **keys})
    skip = browser.evaluate("[document.activeElement.textContent, document.activeElement.getBoundingClientRect().left,"
                            " getComputedStyle(document.activeElement).outlineStyle]")
    assert skip[0] == "Skip to the summary" and skip[1] >= 0 and skip[2] != "none"
    status = browser.evaluate("""new Promise(done => {
      const button = document.querySelector("section.result button.copy");
      button.focus();
      button.click();
      setTimeout(() => done([document.activeElement === button, document.getElementById("status").textContent]), 300);
    })""")
    assert status[0] and status[1] in ("Copied to the clipboard", "The command is selected: press Ctrl+C to copy it")
    unfolded = browser.evaluate(f"""(() => {{
      const visible = {VISIBLE};
      const button = document.querySelector("button.unfold");
      const folded = [...document.querySelectorAll("tr.fold")];
      const before = folded.some(visible);
      button.click();
      return [before, folded.length > 0 && folded.every(visible), button.getAttribute("aria-expanded")];
    }})()""")
    assert unfolded == [False, True, "true"]
    assert browser.problems() == []


def test_dark_mode_and_print(browser, traced_page):
    browser.open(traced_page.as_uri(), dark=True)
    background = browser.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    red, green, blue = (int(v) for v in background[background.index("(") + 1:-1].split(",")[:3])
    assert red + green + blue < 150, background
    browser.screenshot(str(traced_page.with_suffix(".png")))
    keep(traced_page.with_suffix(".png"), "html-report-dark.png")
    browser.emulate(dark=True, media="print")
    printed = browser.evaluate(f"""(() => {{
      const visible = {VISIBLE};
      window.dispatchEvent(new Event("beforeprint"));
      return [visible(document.querySelector("button.copy")), visible(document.querySelector(".lanes .acc")),
              [...document.querySelectorAll("tr.fold")].every(visible),
              [...document.querySelectorAll("section.result > details")].every(d => d.open),
              getComputedStyle(document.documentElement).backgroundColor];
    }})()""")
    assert printed == [False, True, True, True, "rgb(255, 255, 255)"]  # paper stays white, even in dark mode
    browser.pdf(str(traced_page.with_suffix(".pdf")))
    keep(traced_page.with_suffix(".pdf"), "html-report-print.pdf")
    assert browser.problems() == []
