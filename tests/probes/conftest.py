"""Fixtures shared by the HTTP probe tests: the loopback servers and the loop-parametrized check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from httpcheck import Checks
from servers import LOOPS, Servers, run_checks, serving


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Every test server (``servers.py``) running for the whole test module."""
    with serving(tmp_path_factory.mktemp("servers")) as running:
        yield running


@pytest.fixture(params=LOOPS)
def check(request: pytest.FixtureRequest) -> Checks:
    """Runs probes' checks side by side on the loop under test."""
    loop: str = request.param
    return lambda *probes: run_checks(loop, *probes)
