"""Report size and load time: the demo report must stay under 30 MB and load in headless
Chromium in under 2 s (issue 12). Prints the figures; optionally saves a screenshot.

    python tests/benchmarks/bench_report.py --store .tokbench_cache/demo.sqlite --run demo \\
        --out reports/demo --screenshot reports/demo_screenshot.png

Without --store it measures an existing report folder (--out). Load time is the browser's own
navigation-to-load-event time over file://, median of --repeats fresh pages; also timed: every
figure decoded, and opening one utterance until its players have metadata (media load lazily).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))

from browser import LAUNCH_ARGS, find_chromium

SIZE_LIMIT_MB = 30.0
LOAD_LIMIT_S = 2.0


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def measure(index: Path, repeats: int, screenshot: Path | None) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no Chromium found (apt-get install chromium or set TOKBENCH_CHROMIUM)")
    loads, readies, opens = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        for i in range(repeats):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            start = time.perf_counter()
            page.goto(index.resolve().as_uri(), wait_until="load")
            page.wait_for_function("Array.from(document.images).every(i => i.complete)",
                                   timeout=60000)
            readies.append(time.perf_counter() - start)
            if screenshot is not None and i == 0:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=False, type="png")
                # and the drill-down: first utterance expanded, its players on screen
                first = page.locator("table.utts tr.utt").first
                if first.count():
                    first.click()
                    page.evaluate("document.querySelector('table.utts').scrollIntoView()")
                    page.wait_for_timeout(500)
                    page.screenshot(path=str(screenshot.with_name(
                        screenshot.stem + "_utterance.png")), full_page=False, type="png")
                    first.click()  # closed again, so the timing below opens it afresh
                    page.evaluate("window.scrollTo(0, 0)")
            row = page.locator("table.utts tr.utt").first
            if row.count():  # open one utterance: its players and thumbnails load then
                start = time.perf_counter()
                row.click()
                page.wait_for_function(
                    "Array.from(document.querySelectorAll('tr.detail:not([hidden]) audio'))"
                    ".every(a => a.readyState >= 1 || a.error) && "
                    "Array.from(document.images).every(i => i.complete)", timeout=60000)
                opens.append(time.perf_counter() - start)
                row.click()
            loads.append(page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0]; "
                "return n.loadEventEnd / 1000; })()"))
            page.close()
        browser.close()
    return {"load_s": statistics.median(loads), "ready_s": statistics.median(readies),
            "open_s": statistics.median(opens) if opens else float("nan")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="build the report of --run from this store first")
    parser.add_argument("--run", default="demo", help="run id or name (with --store)")
    parser.add_argument("--out", default="reports/demo", help="report folder")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--screenshot", help="save a PNG of the first screen here")
    args = parser.parse_args()
    out = Path(args.out)
    if args.store:
        from bench.report.build import write_report
        from bench.store import Store

        with Store(args.store) as store:
            run = store.find_run(args.run)
            start = time.perf_counter()
            write_report(store, run.id, out_dir=out)
            print(f"report built in {time.perf_counter() - start:.1f} s")
    index = out / "index.html"
    if not index.is_file():
        raise SystemExit(f"{index} not found: build the report first (or pass --store)")
    size = folder_mb(out)
    audio_files = len(list(out.rglob("*.flac")))
    figures = measure(index, args.repeats, Path(args.screenshot) if args.screenshot else None)
    print(f"report folder {out}: {size:.2f} MB ({audio_files} FLAC files; "
          f"index.html {index.stat().st_size / 1e6:.2f} MB) — limit {SIZE_LIMIT_MB:g} MB: "
          f"{'OK' if size < SIZE_LIMIT_MB else 'OVER'}")
    print(f"headless Chromium load event {figures['load_s']:.3f} s (median of {args.repeats}), "
          f"figures decoded {figures['ready_s']:.3f} s; opening an utterance (players + "
          f"thumbnails ready) {figures['open_s']:.3f} s — limit "
          f"{LOAD_LIMIT_S:g} s: {'OK' if figures['load_s'] < LOAD_LIMIT_S else 'OVER'}")
    if args.screenshot:
        print(f"screenshot: {args.screenshot}")
    return 0 if size < SIZE_LIMIT_MB and figures["load_s"] < LOAD_LIMIT_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
