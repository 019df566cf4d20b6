"""What the letter's PDF and browser tests need: WeasyPrint and pypdf (the ``letter``
extra), and Debian's Chromium driven by Playwright. Each skips, with the reason, only
where the thing is missing and CI is not set; under CI=true it fails instead (.ci/run
installs Chromium when it is missing)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless Chromium as root on a machine without a network: no sandbox, no GPU, and
none of the background connections a closed network refuses."""


def missing(reason: str) -> None:
    """Skip with ``reason``, or fail under CI=true (there the test must run)."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so this test must run: {reason}")
    pytest.skip(reason)


def require_modules(*names: str) -> None:
    for name in names:
        if importlib.util.find_spec(name) is None:
            missing(f"{name} is not installed (pip install -e '.[test]')")


def chromium_path() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if found is None:
        missing("Debian's chromium is not installed (apt-get install -y chromium)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, at /usr/bin/chromium), started by the test."""
    path = chromium_path()
    require_modules("playwright", "axe_playwright_python")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
