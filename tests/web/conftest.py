"""Fixtures of the page tests: a logged-in Django test client per role; for the browser run,
the embedded server in a subprocess and Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from tests.ports import free_port

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def login():
    """``login(user)`` → a test client with that user's session."""

    def make(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user, backend=MODEL_BACKEND)
        return client

    return make


# --- the browser run (pytest -m browser; see .ci/browser.sh) -------------------------------

CHROMIUM = os.environ.get("CAS_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "demo-Pass-2026"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright cannot download browsers here: drive Debian's Chromium."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A tablet in landscape.
    return {**browser_context_args, "viewport": {"width": 1180, "height": 820}}


def _free_port() -> int:
    low, high = (int(p) for p in os.environ.get("CAS_BROWSER_PORTS", "18500-18599").split("-"))
    return free_port(range(low, high + 1), "the test server")


@pytest.fixture(scope="session")
def cas_server(tmp_path_factory):
    """The embedded system's web server (``manage.py serve --no-worker``) on a fresh SQLite
    file with the demo users, plus some history for the dashboard. Yields its base URL."""
    data = tmp_path_factory.mktemp("cas-browser")
    port = _free_port()
    env = {
        **os.environ,
        "CAS_DATA_DIR": str(data),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        # No worker in this run: fan out to the inboxes as each transaction commits.
        "CAS_NOTIFY_ON_COMMIT": "inline",
        "AXES_FAILURE_LIMIT": "50",
    }
    env.pop("DATABASE_URL", None)
    python = sys.executable
    log = (data / "serve.log").open("w")
    server = subprocess.Popen(
        [python, "manage.py", "serve", "--demo-password", DEMO_PASSWORD, "--no-worker",
         "--web-workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((data / "serve.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        seed = (ROOT / "tests/web/browser_seed.py").read_text()
        subprocess.run([python, "manage.py", "shell", "-c", seed], cwd=ROOT, env=env, check=True)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name)``: a full-page PNG into CAS_SCREENSHOT_DIR when it is set
    (``.ci/screenshots.sh`` sets it to docs/screenshots)."""
    target = os.environ.get("CAS_SCREENSHOT_DIR")

    def take(page, name: str, full_page: bool = True) -> None:
        if target:
            # A picture of the page, not of the keyboard focus the test left behind.
            page.evaluate("document.activeElement && document.activeElement.blur()")
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=full_page)

    return take
