"""A headless Chromium for the viewer's tests, through Playwright: Playwright's own browser when it
has one, else a system Chromium or Chrome (Debian: `apt-get install chromium`). Where neither
exists, the tests are skipped with the reason (pytest prints it with -ra)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def system_chromium() -> str | None:
    given = os.environ.get("ORBENCH_TEST_CHROMIUM")
    if given:
        return given
    return next((path for name in SYSTEM_BROWSERS if (path := shutil.which(name))), None)


def launch() -> Iterator[Any]:
    """Yield a launched headless browser, or skip the test saying why there is none."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch()
        except Error:
            path = system_chromium()
            if path is None:
                pytest.skip("browser tests skipped: no Chromium found (apt-get install chromium, or "
                            "python -m playwright install chromium, or set ORBENCH_TEST_CHROMIUM)")
            try:
                browser = p.chromium.launch(executable_path=path)
            except Error as exc:
                pytest.skip(f"browser tests skipped: {path} does not start headless ({str(exc).splitlines()[0]})")
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Any, path: Path, fragment: str = "", viewer: bool = True, **options: Any) -> Any:
    """A page showing `path` from file://, failing the test on any script error or network request.
    The page's own Content-Security-Policy forbids eval, which Playwright's waiting helpers use, so
    CSP is bypassed here; that requests stay local is checked by listening to them instead. `options`
    are Playwright context options (e.g. permissions)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True, **options)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: None if req.url.startswith(("file:", "data:", "blob:"))
            else errors.append(f"network request: {req.url}"))
    page.errors = errors
    page.goto(path.resolve().as_uri() + fragment)
    if viewer:
        page.wait_for_selector("html[data-ready]")
    return page
