"""Headless Chromium for report tests and benchmarks: find an installed Chromium and serve a
folder on 127.0.0.1. Playwright drives the system browser (``executable_path``); nothing is
downloaded."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of an installed Chromium (``TOKBENCH_CHROMIUM`` wins), or None."""
    explicit = os.environ.get("TOKBENCH_CHROMIUM")
    if explicit and Path(explicit).is_file():
        return explicit
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Python's static handler plus single byte ranges (``Range: bytes=a-b``), as nginx,
    Apache or any CDN answer them: browsers can only seek media on servers that do."""

    def send_head(self):  # type: ignore[override]
        spec = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not spec.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first, _, last = spec[len("bytes="):].partition("-")
        start = int(first) if first else max(0, size - int(last))
        end = min(int(last), size - 1) if first and last else size - 1
        if start >= size:
            self.send_error(416, "range not satisfiable")
            return None
        fh = path.open("rb")
        fh.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return fh

    def copyfile(self, source, outputfile) -> None:  # type: ignore[override]
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0:
            chunk = source.read(min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)
        self._remaining = None

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A static HTTP server (with byte ranges) for ``folder`` on a free 127.0.0.1 port;
    yields its base URL."""
    handler = functools.partial(_RangeHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


LAUNCH_ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required",
               "--disable-gpu", "--mute-audio"]
