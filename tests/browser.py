"""Driving the web page of `mnist-cnn serve` in a real browser (headless Chromium, Playwright).

Playwright's own browser download cannot work offline: the system's Chromium (Debian's
`chromium` package, installed by `make install` where apt can) is launched by path.
Shared by the browser test and docs/serve_screenshots.py.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> Optional[str]:
    """$MNIST_CNN_CHROMIUM, else chromium on the PATH, else None."""
    for candidate in (os.environ.get("MNIST_CNN_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def serving(holder) -> Iterator[str]:
    """The real server (uvicorn, the CLI's socket set-up) on a free loopback port, in a thread."""
    import uvicorn

    from mnist_cnn.serve.app import create_app
    from mnist_cnn.serve.server import bind

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(holder, allowed_hosts=["127.0.0.1", "localhost"]),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            threading.Event().wait(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def browser_page(executable: str, width: int = 1280, height: int = 900):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


# Digits as mouse strokes, in the pad's 280x280 coordinates.
STROKES = {
    7: [[(75, 65), (205, 65), (130, 225)]],
    0: [[(140 + 55 * math.sin(2 * math.pi * k / 40), 140 - 85 * math.cos(2 * math.pi * k / 40)) for k in range(41)]],
    1: [[(140, 50), (140, 230)]],
}


def draw_digit(page, digit: int, steps: int = 6) -> None:
    """Draw `digit` on the pad with mouse events (press, moves, release), as a user would."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 280
    for stroke in STROKES[digit]:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=steps)
        page.mouse.up()


def wait_until(page, expression: str, timeout_s: float = 15.0):
    """Poll a JavaScript expression from Python until it is truthy; its value.

    Not page.wait_for_function: its polling evaluates strings inside the page, which the
    page's Content-Security-Policy (script-src 'self', no eval) rightly forbids.
    """
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s:g} s: {expression}")
        page.wait_for_timeout(50)


def wait_answered(page, timeout_s: float = 20.0) -> None:
    """Until the answers shown are those of the drawing as it is now (not of a stroke half drawn)."""
    wait_until(page, "(p => p.dataset.shown && p.dataset.shown === p.dataset.version)(document.getElementById('pad'))",
               timeout_s)
