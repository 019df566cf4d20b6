"""The evaluation's tests need its extra (polars, lifelines, scipy): CI installs it."""

from __future__ import annotations

import os

import pytest

try:
    import lifelines  # noqa: F401
    import polars  # noqa: F401
    import scipy  # noqa: F401
except ImportError:  # pragma: no cover - only without the extra, never under CI
    if os.environ.get("CI"):
        raise
    pytest.skip("the evaluation extra is not installed", allow_module_level=True)
