"""The student's path in a real JupyterLab, driven in headless Chromium.

A JupyterLab server runs on 127.0.0.1 with a token this test sets, and is stopped by the test. In it:
- a student's completed copy of a released assignment is opened, every cell is run from the Run menu,
  and the check cell's report is read from the page. This is the one path where `check()` finds the
  notebook from the kernel's session (JPY_SESSION_NAME) rather than from an argument;
- a chapter is opened, its demo cell is run, and the demo's picture changes after its slider moves.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.release import release

playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ASSIGNMENT = ROOT / "assignments" / "a1_neurons_backprop"
CHAPTER = ROOT / "book" / "03_backpropagation" / "backpropagation.ipynb"
DEMO_CALL = "graph_explorer("  # a self-contained demo cell: it imports what it needs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A student's folder: the released assignment with the reference answers filled in, and a chapter."""
    folder = tmp_path_factory.mktemp("student")
    release(ASSIGNMENT, folder / "a1")
    # A completed notebook: the instructor's source holds the answers (and no hidden tests).
    shutil.copy(ASSIGNMENT / "a1_neurons_backprop.ipynb", folder / "a1" / "a1_neurons_backprop.ipynb")
    shutil.copy(CHAPTER, folder / CHAPTER.name)
    return folder


def lab_environment(home: Path) -> dict[str, str]:
    """Settings and workspaces of this server only. A workspace saved by an earlier JupyterLab (in ~/.jupyter)
    would be restored, reopening its panels and taking the focus from the notebook, so that Run All ran nothing.
    Windowing is off, so every cell is in the page (with it, cells outside the view are not rendered)."""
    settings = home / "settings"
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    return {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}


@pytest.fixture(scope="module")
def lab(workspace: Path, tmp_path_factory):
    token, port = secrets.token_hex(16), free_port()
    log = (workspace / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workspace}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, cwd=workspace, env=lab_environment(tmp_path_factory.mktemp("lab")),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as reply:
                json.load(reply)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {(workspace / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield url, token
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium (scripts/ensure-chromium.sh)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def open_notebook(browser, lab, path: str):
    url, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/tree/{path}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
    # The kernel is ready when the status bar names it and says Idle. (The toolbar's execution indicator says idle
    # already while the status bar shows "No Kernel | Initializing"; Run All then runs nothing.)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120000)
    return page


def test_student_runs_all_cells_and_reads_the_check_report(browser, lab):
    page = open_notebook(browser, lab, "a1/a1_neurons_backprop.ipynb")
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
    last = page.locator(".jp-Notebook .jp-CodeCell").last
    report = last.locator(".jp-OutputArea-output")
    # Poll from Python: the last cell's text appears when check() has run every public test in its sandbox.
    deadline = time.monotonic() + 240
    while "q7_two_layer" not in last.inner_text():
        assert time.monotonic() < deadline, f"no check report after 240 s; the last cell shows:\n{last.inner_text()}"
        time.sleep(2)
    text = report.all_inner_texts()
    joined = "\n".join(text)
    # check() found the notebook through the kernel's session and ran every public check on the saved file.
    for question in ("q1_sigmoid", "q2_perceptron", "q3_linear", "q4_relu", "q5_softmax_ce",
                     "q6_numerical_gradient", "q7_two_layer"):
        assert question in joined, f"the check report does not mention {question}:\n{joined}"
    assert "FAILED" not in joined, f"the reference answers failed a public check in JupyterLab:\n{joined}"
    assert "passed" in joined
    page.close()


def test_chapter_demo_redraws_when_its_slider_moves(browser, lab):
    page = open_notebook(browser, lab, CHAPTER.name)
    cell = page.locator(".jp-Notebook .jp-CodeCell", has_text=DEMO_CALL).first
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    image = cell.locator(".jp-OutputArea-output .widget-image, .jp-OutputArea-output img").first
    image.wait_for(state="attached", timeout=90000)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=60000)
    before = image.get_attribute("src")
    handle = cell.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle, input[type=range]").first
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("([img, old]) => img.src !== old", arg=[image.element_handle(), before], timeout=60000)
    assert image.get_attribute("src") != before
    page.close()
