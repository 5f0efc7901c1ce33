"""The HTML report in a real browser (headless Chromium via playwright): over file:// and over a
local HTTP server, no console errors, every <audio> loads with the file's duration, every
image loads, sorting orders the rows, and the A/B toggle switches source at the same position.

The run is small but real: three short tones through the shipped tiny VARSTok and Plutok
checkpoints with signal metrics only, so span timelines and Plutok token counts are present.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import soundfile as sf
from browser import LAUNCH_ARGS, find_chromium, serve
from toys import write_tone_set

from bench.report.build import write_report
from bench.runner import run_suite
from bench.store import Store
from bench.suite import parse_suite

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium, or set "
                             "TOKBENCH_CHROMIUM); .ci/run installs it where apt-get can")


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    manifest = write_tone_set(tmp / "data", n=3, sample_rate=24000)
    suite = parse_suite({
        "name": "browser",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": [{"name": "varstok", "family": "varstok"},
                     {"name": "plutok", "family": "plutok"}],
        "metrics": ["si_sdr", "mel_l1", "tokens_per_s", "mean_span"],
        "batch": {"workers": 0, "max_items": 4},
        "store": str(tmp / "store" / "store.sqlite"),
    }, base_dir=tmp)
    summary = run_suite(suite, progress=False, log=lambda _: None)
    assert not summary.skipped_variants, summary.skipped_variants
    with Store(tmp / "store" / "store.sqlite") as store:
        files = write_report(store, summary.run_id, out_dir=tmp / "report")
    return files.out_dir


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def _open(browser, url: str):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    return page, errors


def _check_page(page, errors: list[str], folder: Path) -> None:
    # media loads when a row is opened: nothing before, everything once all rows are open
    assert page.evaluate("document.querySelectorAll('audio[src], tr.detail img[src]').length") == 0
    for row in page.locator("table.utts tr.utt").all():
        row.click()
    audio_count = page.evaluate("document.querySelectorAll('audio').length")
    assert audio_count == 3 * 3 + 3  # reference + 2 variants per tone, one A/B player per tone
    page.wait_for_function(
        "Array.from(document.querySelectorAll('audio')).every(a => a.readyState >= 1 || a.error)",
        timeout=20000)
    audios = page.evaluate("Array.from(document.querySelectorAll('audio')).map(a => "
                           "({src: a.getAttribute('src'), duration: a.duration, "
                           "error: a.error && a.error.code}))")
    for a in audios:
        assert a["error"] is None, a
        assert a["src"], a
        expected = sf.info(str(folder / a["src"])).duration
        assert math.isclose(a["duration"], expected, rel_tol=0.01), (a, expected)
    images = page.evaluate("Array.from(document.images).map(i => "
                           "({src: i.getAttribute('src').slice(0, 60), complete: i.complete, "
                           "w: i.naturalWidth}))")
    assert len(images) >= 9 + 3 + 3  # 9 spectrograms, 3 span timelines, the figures
    assert all(i["complete"] and i["w"] > 0 for i in images), images
    timelines = page.evaluate("document.querySelectorAll('img.timeline').length")
    assert timelines == 3  # VARSTok spans; Plutok and the reference have none
    assert "bpe tokens" in page.text_content("table.utts")
    assert errors == []


def _sort_and_toggle(page) -> None:
    # sort by the si_sdr column of the VARSTok variant (metric 0 is shown by default)
    header = page.locator("table.utts th.mcol:visible").filter(has_text="varstok").first
    column = header.evaluate("th => Array.from(th.parentNode.children).indexOf(th)")
    for direction in ("asc", "desc"):
        header.click()
        values = page.evaluate(f"Array.from(document.querySelectorAll('table.utts tr.utt'))"
                               f".map(r => parseFloat(r.cells[{column}].dataset.v))")
        assert len(values) == 3 and all(math.isfinite(v) for v in values)
        assert values == sorted(values, reverse=direction == "desc"), (direction, values)
    # the filter keeps matching rows only; the metric picker swaps the visible columns
    page.fill("input.filter", "tone1")
    visible = page.evaluate("Array.from(document.querySelectorAll('tr.utt'))"
                            ".filter(r => !r.hidden).map(r => r.cells[0].textContent)")
    assert visible == ["tone1"]
    page.fill("input.filter", "")
    assert page.evaluate("document.querySelectorAll('tr.utt:not([hidden])').length") == 3
    shown = "Array.from(document.querySelectorAll('th.mcol')).filter(t => !t.hidden)" \
            ".map(t => t.textContent)"
    first_metric = page.evaluate(shown)
    assert first_metric and all(t.startswith("si_sdr") for t in first_metric)
    page.select_option("select.metric-select", label="mel_l1")
    assert all(t.startswith("mel_l1") for t in page.evaluate(shown))
    page.select_option("select.metric-select", label="si_sdr")
    # switch A/B at the same playback position (rows were opened by _check_page)
    box = page.locator("tr.detail:not([hidden]) .ab").first
    audio = box.locator("audio.ab-audio")
    audio.evaluate("a => new Promise(r => { if (a.readyState >= 1) r(); "
                   "else a.addEventListener('loadedmetadata', r, {once: true}); })")
    audio.evaluate("a => { a.currentTime = 0.4; }")
    before = audio.evaluate("a => ({src: a.currentSrc, t: a.currentTime})")
    assert before["t"] == pytest.approx(0.4, abs=0.02)
    box.locator(".ab-btn").nth(1).click()
    audio.evaluate("(a, first) => new Promise((resolve, reject) => { const t0 = Date.now(); "
                   "(function poll() { if (a.currentSrc !== first && a.readyState >= 1 && "
                   "Math.abs(a.currentTime - 0.4) < 0.05) resolve(); "
                   "else if (Date.now() - t0 > 10000) reject(new Error('A/B switch timed out')); "
                   "else setTimeout(poll, 20); })(); })", before["src"])
    after = audio.evaluate("a => ({src: a.currentSrc, t: a.currentTime})")
    assert after["src"] != before["src"]
    assert after["t"] == pytest.approx(0.4, abs=0.05)


def test_report_over_file_url(report_dir: Path, browser) -> None:
    page, errors = _open(browser, (report_dir / "index.html").resolve().as_uri())
    _check_page(page, errors, report_dir)
    _sort_and_toggle(page)
    assert errors == []
    page.close()


def test_report_over_http(report_dir: Path, browser) -> None:
    with serve(report_dir) as base:
        page, errors = _open(browser, base + "index.html")
        _check_page(page, errors, report_dir)
        _sort_and_toggle(page)
        assert errors == []
        page.close()
