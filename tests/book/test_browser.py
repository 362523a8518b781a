"""Open the built book in headless Chromium, as a reader would, with the network cut off.

For every page in the table of contents: math was typeset by the local MathJax, every image loaded,
no cell output holds a traceback, widgets rendered where a page has them, the table of contents
links resolve, and no request left the machine. A screenshot of each page is written to
_build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .conftest import BUILD, toc_documents

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = BUILD.parent / "screenshots"
PAGES = [doc + ".html" for doc in toc_documents()]


@pytest.fixture(scope="module")
def server(built_book: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_book))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium (scripts/ensure-chromium.sh)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


def open_page(browser, server: str, name: str):
    """Load one page offline: requests to anything but the local server are refused and recorded."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    page.missing = []  # local files the page asked for and the server did not have
    page.on("response", lambda r: page.missing.append(r.url) if r.status >= 400 and not r.url.endswith("favicon.ico") else None)

    def route(r):
        if urlparse(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(f"{server}/{name}", wait_until="networkidle")
    return page, outside


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(browser, server, name):
    page, outside = open_page(browser, server, name)
    has_math = page.locator("span.math, div.math").count() > 0
    if has_math:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("() => MathJax.startup.promise")
        untypeset = page.evaluate(
            "() => [...document.querySelectorAll('span.math, div.math')]"
            ".filter(e => !e.querySelector('mjx-container')).length"
        )
        assert untypeset == 0, f"{name}: {untypeset} math elements were not typeset by MathJax"
    broken = page.evaluate(
        "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    assert not broken, f"{name}: images that did not load: {broken}"
    outputs = page.locator(".cell_output").all_inner_texts()
    assert not [o for o in outputs if "Traceback (most recent call last)" in o], f"{name}: a cell output shows a traceback"
    if page.locator("script[type='application/vnd.jupyter.widget-state+json']").count():
        page.wait_for_selector(".jupyter-widgets", timeout=20000)
    assert not [u for u in outside if "thebe" not in u], f"{name}: requests left the machine: {outside}"
    assert not page.missing, f"{name}: files the page needs are missing from the build: {page.missing}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (name.replace("/", "_") + ".png")), full_page=False)
    page.close()


def test_toc_links_resolve(browser, server):
    page, _ = open_page(browser, server, "index.html")
    hrefs = page.evaluate("() => [...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.href)")
    assert len(hrefs) >= len(PAGES) - 1, f"the sidebar lists {len(hrefs)} links for {len(PAGES)} pages"
    for href in hrefs:
        path = urlparse(href).path.lstrip("/")
        assert (BUILD / path).is_file(), f"table-of-contents link {href} points to a missing page"
    page.close()
