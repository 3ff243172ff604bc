"""Fixtures shared by the test folders."""

from __future__ import annotations

import pytest


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """Run in a fresh folder, away from this repository's pyproject.toml and .harness_cache:
    `harness run` and `harness validate` look for both from the current directory up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
