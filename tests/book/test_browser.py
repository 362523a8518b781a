"""Open the built book in headless Chromium, as a reader would, with the network cut off.

For every page in the table of contents: math was typeset by the local MathJax, every image loaded,
no cell output holds a traceback, widgets rendered where a page has them, the table of contents
links resolve, and no request left the machine. A screenshot of each page is written to
_build/screenshots/ for a person to look at.

Requests are only what one page load happens to trigger, so the built files are also read: no page,
and no script or stylesheet a page loads, holds the address of an outside server (a CDN, a font
service, Binder) that the browser could be sent to later, such as sphinx-thebe's THEBE_JS_URL.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .conftest import BUILD, toc_documents

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
    playwright = pytest.importorskip("playwright.sync_api")
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
    assert not outside, f"{name}: requests left the machine: {outside}"
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


# ---------------------------------------------------------------- outside addresses in the built files

# An absolute address, or a protocol-relative one ("//host.tld/...").
ADDRESS = r"""(?:https?://|//(?=[a-z0-9-]+\.[a-z]))[^\s"'`<>()\\]+"""
# In a page (the book's own text) every address counts. In a script or stylesheet only one that
# begins a string, an attribute value or a CSS url(...) can be loaded; an address inside a sentence
# ("see https://...", a console warning, a schema's description) is prose.
IN_PAGE = re.compile(ADDRESS, re.IGNORECASE)
LOADABLE = re.compile(r"""(?:(?<=["'`=])|(?<=url\())""" + ADDRESS, re.IGNORECASE)
# Comments never load anything: <!-- HTML --> in a page; in a script or stylesheet also /* block */
# (license headers) and line comments (a "//" that does not follow ":" as in "https://", a quote, a
# word character or a slash). A page's text is not searched for "//", which Python code uses too.
PAGE_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
CODE_COMMENT = re.compile(r"""/\*.*?\*/|<!--.*?-->|(?<![:"'\w\\/])//[^\n]*""", re.DOTALL)
# Names that have the form of an address but are identifiers no browser fetches: XML namespaces and
# DTDs (www.w3.org) and JSON-Schema ids.
IDENTIFIER = re.compile(r"^https?://(www\.w3\.org|json-schema\.org)/", re.IGNORECASE)
# Addresses in the vendored libraries (copied verbatim by the Makefile's assets step) that exist only
# on code paths the book never takes; each entry says why. Matched by prefix, in that file only.
DORMANT = {
    "vendor/html-manager/embed-amd.js": {
        "https://cdn.jsdelivr.net/npm/": "base address for third-party widget modules; the book uses only "
        "ipywidgets' own controls, which this file bundles",
        "https://raw.githubusercontent.com/ajv-validator/ajv/master/lib/refs/data.json": "the id of a "
        "JSON schema that the validator compiles from its bundled copy",
    },
    "vendor/mathjax/tex-chtml.js": {
        "https://cdn.jsdelivr.net/npm/speech-rule-engine@": "speech rule engine of MathJax's accessibility "
        "explorer, which the book does not enable",
        "https://cdn.jsdelivr.net/npm/sre-mathmaps-ie@": "the same engine's maps for Internet Explorer",
        "https://cdn.jsdelivr.net/npm/wicked-good-xpath@": "an XPath polyfill the same engine loads on old browsers",
        "https://www.mathjax.org": "a link in MathJax's right-click menu (a click, not a load)",
    },
    "vendor/require.js": {
        "https://requirejs.org/docs/errors.html": "a link written into RequireJS's error messages",
    },
}


def outside_urls(text: str, name: str = "", page: bool = True) -> list[str]:
    """Addresses of outside servers in ``text``: a page (``page=True``) or a script or stylesheet.

    Comments, XML-namespace and schema identifiers, and the dormant addresses listed in ``DORMANT``
    for a file whose path ends with the listed name are left out; everything else is returned.
    """
    dormant = [url for suffix, urls in DORMANT.items() if name.endswith(suffix) for url in urls]
    found = IN_PAGE.findall(PAGE_COMMENT.sub(" ", text)) if page else LOADABLE.findall(CODE_COMMENT.sub(" ", text))
    return [u for u in found if not IDENTIFIER.match(u) and not any(u.startswith(d) for d in dormant)]


class _LoadedFiles(HTMLParser):
    """Collects the src of every <script> and the href of every stylesheet or preload <link>."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "link" and {"stylesheet", "preload", "modulepreload"} & set(a.get("rel", "").split()):
            self.refs.append(a.get("href", ""))


def built_pages(root: Path) -> list[Path]:
    """The HTML pages of the built site (not the theme's template snippets under _static)."""
    return sorted(p for p in root.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(root).parts))


def loaded_files(page: Path, root: Path) -> set[Path]:
    """Local scripts and stylesheets that ``page`` loads (outside addresses are the page's own finding)."""
    parser = _LoadedFiles()
    parser.feed(page.read_text(errors="replace"))
    files = set()
    for ref in parser.refs:
        path = ref.split("#")[0].split("?")[0]
        if not path or urlparse(ref).scheme or ref.startswith("//"):
            continue
        target = (root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
        if target.resolve().is_file():
            files.add(target.resolve())
    return files


def test_no_outside_address_in_the_built_book(built_book: Path) -> None:
    pages = built_pages(built_book)
    assert pages, "no pages found in the built book"
    problems = []
    scripts = {f for page in pages for f in loaded_files(page, built_book)}
    for path, is_page in [(p, True) for p in pages] + [(f, False) for f in sorted(scripts)]:
        name = path.resolve().relative_to(built_book.resolve()).as_posix()
        urls = outside_urls(path.read_text(errors="replace"), name, page=is_page)
        problems += [f"{name}: {url}" for url in sorted(set(urls))]
    assert not problems, "the built book names outside servers:\n" + "\n".join(problems)


def test_outside_address_scanner() -> None:
    # What sphinx-thebe writes into every page when it is enabled, and the usual ways to load from a CDN.
    thebe = '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"; const a = 1</script>'
    assert outside_urls(thebe) == ["https://unpkg.com/thebe@0.8.2/lib/index.js"]
    assert outside_urls('<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>')
    assert outside_urls('<script src="//unpkg.com/requirejs/require.js"></script>') == ["//unpkg.com/requirejs/require.js"]
    assert outside_urls("@import url(https://fonts.googleapis.com/css?family=Roboto);")
    assert outside_urls('let base="https://cdn.jsdelivr.net/npm/",x=1;', "other/lib.js", page=False)
    assert outside_urls("a{background:url(https://example.org/x.png)}", "theme.css", page=False)
    assert outside_urls("<p>Read more at https://example.org/notes.</p>") == ["https://example.org/notes."]
    # In a script, an address inside a sentence is prose, not something to load.
    assert outside_urls('console.warn("deprecated, see https://example.org/guide");', "lib.js", page=False) == []
    assert outside_urls('<a href="https://doi.org/10.1109/5.726791">LeCun 1998</a>')
    # Harmless: namespaces, DTDs, schema ids, HTML comments and local paths in a page; license and
    # documentation links in a script's comments.
    page = (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg> <!-- https://example.org/comment -->'
        '<script src="_static/vendor/require.js"></script> <pre>half = n // 2</pre>'
    )
    assert outside_urls(page) == []
    script = (
        "/*! Bootstrap | MIT License | https://github.com/twbs/bootstrap/blob/main/LICENSE */\n"
        'var a = 1; // see https://stackoverflow.com/a/18853002\n var p = "a//b", s = {"$schema": '
        '"http://json-schema.org/draft-07/schema#"};'
    )
    assert outside_urls(script, "lib.js", page=False) == []
    assert outside_urls("/* https://github.com/twbs/bootstrap/blob/main/LICENSE */") == [
        "https://github.com/twbs/bootstrap/blob/main/LICENSE"]   # a page is the book's text: every address counts
    # A dormant vendor address is excused only in the file it is listed for.
    cdn = 'let q="https://cdn.jsdelivr.net/npm/",_=!1;'
    assert outside_urls(cdn, "_static/vendor/html-manager/embed-amd.js", page=False) == []
    assert outside_urls(cdn, "_static/vendor/mathjax/tex-chtml.js", page=False) == ["https://cdn.jsdelivr.net/npm/"]
