"""Every storage test that uses the ``database`` fixture runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.fixtures.engines import ENGINES


@pytest.fixture(params=ENGINES)
def storage_engine(request: pytest.FixtureRequest) -> str:
    """SQLite, then PostgreSQL."""
    return str(request.param)
