"""`mnist-cnn serve` in a real browser: headless Chromium driven by Playwright.

The real server (uvicorn on a loopback port) serves the session's trained runs. The test
draws digits with mouse events on the canvas and checks both frameworks' answers, uploads
a generated photo and checks the number read, looks at the Runs page, and saves a
screenshot of each page. Any error in the browser's console (a failed script, a blocked
resource, a Content-Security-Policy violation) fails it. Without Chromium it skips, saying so.
"""

from __future__ import annotations

import cv2
import pytest

from tests.browser import browser_page, chromium_path, draw_digit, serving, wait_answered, wait_until
from tests.photos import clear_digits, compose

pytest.importorskip("fastapi")
pytest.importorskip("playwright")
CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium, "
                                                          "or `make install` as root; or set MNIST_CNN_CHROMIUM)")


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory, torch_run, keras_run):
    """One runs folder holding the session's two trained runs (links: nothing is copied)."""
    root = tmp_path_factory.mktemp("serve-browser-runs")
    for run in (torch_run, keras_run):
        (root / run.name).symlink_to(run, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def site(runs_root, keep_torch_threads):
    from mnist_cnn.serve.models import ModelHolder

    holder = ModelHolder(runs_root)
    holder.load("torch", "latest")
    holder.load("keras", "latest")
    assert set(holder.loaded) == {"torch", "keras"}, holder.missing
    with serving(holder) as address:
        yield address, holder


@pytest.mark.mnist
def test_draw_photo_and_runs_pages_in_chromium(site, mnist, tmp_path, runs_root):
    address, holder = site
    console_errors: list[str] = []
    with browser_page(CHROMIUM) as page:
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))

        # Draw: a 7, then (cleared) a 0; both frameworks answer, agree, and are right.
        page.goto(f"{address}/draw")
        wait_until(page, "document.getElementById('status').textContent.includes('TensorFlow/Keras')")
        for digit in (7, 0):
            page.click("#clear")
            draw_digit(page, digit)
            wait_answered(page)
            for framework in ("torch", "keras"):
                assert page.get_attribute(f"#answer-{framework}", "data-digit") == str(digit), framework
            assert page.inner_text("#agree") == "they agree"
        assert page.locator("#maps img").count() == 3  # the `fast` net's three convolutions
        assert page.evaluate("document.querySelector('#maps img').naturalWidth") > 0
        page.screenshot(path=str(tmp_path / "draw.png"), full_page=True)
        page.click("#undo")
        wait_until(page, "!document.getElementById('answer-torch').dataset.digit")

        # Photo: a generated page of four MNIST digits, uploaded through the file input.
        images, labels = clear_digits(mnist, holder.loaded["torch"].classifier, count=4, seed=5)
        photo = compose(images, labels, [(50, 160, 110), (190, 150, 120), (340, 165, 100), (470, 150, 120)],
                        gradient=0.3, seed=5)
        upload = tmp_path / "digits.jpg"
        cv2.imwrite(str(upload), photo.image)
        page.goto(f"{address}/photo")
        page.set_input_files("#file", str(upload))
        for framework in ("torch", "keras"):
            wait_until(page, f"document.getElementById('read-{framework}').dataset.text", timeout_s=30)
            assert page.get_attribute(f"#read-{framework}", "data-text") == photo.text
        assert page.locator("#digits .digit-card").count() == 4
        page.screenshot(path=str(tmp_path / "photo.png"), full_page=True)

        # Runs: both runs listed with their accuracy, both answering, their figures shown.
        page.goto(f"{address}/runs")
        page.wait_for_selector("#runs tr[data-run]")
        rows = page.locator("#runs tr[data-run]")
        assert sorted(rows.nth(k).get_attribute("data-run") for k in range(rows.count())) == \
            sorted(p.name for p in runs_root.iterdir())
        assert page.locator("#runs .badge.yes").count() == 2
        wait_until(page, "[...document.querySelectorAll('#picked img')].length == 2 && "
                               "[...document.querySelectorAll('#picked img')].every(i => i.complete && i.naturalWidth > 0)")
        page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)

    assert console_errors == [], console_errors
    for name in ("draw", "photo", "runs"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
