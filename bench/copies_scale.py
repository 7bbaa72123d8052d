"""Copy index at scale: check one new article against 10k, 100k and 1M stored fingerprints.

Usage (from the repository root)::

    python -m bench.copies_scale [--sizes 10000 100000 1000000] [--queries 210] [--workers 2]
                                 [--quick] [--json PATH]

For each size, deterministically synthesises that many stored articles (random word
sequences of 150-650 words over a 50,000-word vocabulary drawn with Zipf-like frequencies,
so that common three-word runs recur across articles the way they do in news), turns them
into exactly the ``Fingerprint.to_bytes`` records the bot would store (checked against
``fingerprint(text)`` on a sample), then measures:

- rebuild: ``CopyIndex.from_records`` over the stored records (what start-up does, no text);
- memory: resident set size growth of the process while the index is built, and the bytes
  the index holds (shingle store plus band arrays), against the size of the stored records;
- check: ``find_copy_of`` for planted copies of stored articles (republished, 15/30/50 %
  of content words swapped as in copies-dev, content words being all but the 500 most
  frequent, 40 % excerpt, 25-word teaser) and for unrelated new articles, reporting
  the time per check (median, 95th percentile), candidates per check, copies found and false
  matches; fingerprinting a new article is timed apart;
- add: ``CopyIndex.add`` of new articles into the built index.

Prints one table and the ratios between the largest and smallest size. ``--quick``: 2,000
stored articles, 35 checks (5 of each kind), synthesised in this process. Exit status 1 when
an unrelated article is taken for a copy.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.support.arguments import bench_parser, write_figures
from bot.pipeline.story.copies import CopyIndex, fingerprint
from bot.pipeline.story.copies.fingerprint import LEAD_SHINGLES, encode_record, minhash_rows
from bot.pipeline.story.copies.shingles import combine_token_hashes, token_hash

VOCABULARY_SIZE = 50_000
BATCH = 500
SEED = 20_261_129
LENGTHS = (150, 650)
QUERY_STREAM = 2**40  # a random stream no batch number reaches
FUNCTION_WORDS = 500  # the most frequent words, about 46 % of running text, as in news
QUICK_SIZE = 2_000
QUICK_QUERIES = 35  # five of each kind

TokenArray = npt.NDArray[np.int64]


def vocabulary_word(number: int) -> str:
    """Return the spelling of vocabulary word ``number``."""
    return f"w{number}"


def word_probabilities() -> npt.NDArray[np.float64]:
    """Return Zipf-like word frequencies (rank + 10)^-1, normalised."""
    weights = 1.0 / (np.arange(VOCABULARY_SIZE) + 10.0)
    result: npt.NDArray[np.float64] = weights / weights.sum()
    return result


def token_hash_table() -> npt.NDArray[np.uint64]:
    """Return the token hash of every vocabulary word, as the shingler computes it."""
    return np.array(
        [token_hash(vocabulary_word(n)) for n in range(VOCABULARY_SIZE)], dtype=np.uint64
    )


def batch_tokens(batch_number: int) -> TokenArray:
    """Return the word numbers of one batch of stored articles (all of one length)."""
    rng = np.random.default_rng([SEED, batch_number])
    length = int(rng.integers(*LENGTHS))
    result: TokenArray = rng.choice(
        VOCABULARY_SIZE, size=(BATCH, length), p=word_probabilities()
    ).astype(np.int64)
    return result


def batch_records(batch_number: int) -> list[bytes]:
    """Return the stored fingerprint records of one batch of synthetic articles."""
    tokens = batch_tokens(batch_number)
    shingles = combine_token_hashes(TABLE[tokens])
    whole = minhash_rows(shingles)
    lead = minhash_rows(shingles[:, :LEAD_SHINGLES])
    ordered = np.sort(shingles, axis=1)
    distinct = np.ones(ordered.shape, dtype=bool)
    distinct[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    return [
        encode_record(whole[row], lead[row], ordered[row][distinct[row]])
        for row in range(BATCH)
    ]


TABLE = token_hash_table()


def text_of(tokens: TokenArray) -> str:
    """Return the text spelled by word numbers."""
    return " ".join(vocabulary_word(n) for n in tokens.tolist())


def resident_bytes() -> int:
    """Return the process's resident set size in bytes (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096


def stored_records(batches: int, workers: int) -> Iterator[bytes]:
    """Yield the records of ``batches`` batches, built by ``workers`` processes."""
    if workers <= 1:
        for number in range(batches):
            yield from batch_records(number)
        return
    with ProcessPoolExecutor(workers) as pool:
        for records in pool.map(batch_records, range(batches), chunksize=4):
            yield from records


@dataclass
class Query:
    """One check: a text and the stored article it copies (None for an unrelated one)."""

    kind: str
    text: str
    source: int | None


def planted_queries(batches: int, count: int) -> list[Query]:
    """Return ``count`` checks: planted copies of stored articles and unrelated articles."""
    rng = np.random.default_rng([SEED, QUERY_STREAM])
    queries: list[Query] = []
    kinds = ("republished", "spun 15%", "spun 30%", "spun 50%", "excerpt", "teaser", "unrelated")
    for number in range(count):
        kind = kinds[number % len(kinds)]
        if kind == "unrelated":
            tokens = rng.choice(VOCABULARY_SIZE, size=400, p=word_probabilities())
            queries.append(Query(kind, text_of(tokens.astype(np.int64)), None))
            continue
        batch, row = int(rng.integers(batches)), int(rng.integers(BATCH))
        tokens = batch_tokens(batch)[row].copy()
        if kind.startswith("spun"):
            share = int(kind.split()[1].rstrip("%")) / 100
            swap = (tokens >= FUNCTION_WORDS) & (rng.random(tokens.size) < share)
            tokens[swap] = rng.choice(VOCABULARY_SIZE, size=int(swap.sum()), p=word_probabilities())
        elif kind == "excerpt":
            tokens = tokens[: int(tokens.size * 0.4)]
        elif kind == "teaser":
            tokens = tokens[:25]
        queries.append(Query(kind, text_of(tokens), batch * BATCH + row))
    return queries


def check_sample_matches_real_fingerprints() -> None:
    """Fail if the batch synthesis differs from ``fingerprint(text).to_bytes()``."""
    records = batch_records(0)
    tokens = batch_tokens(0)
    for row in (0, 1, BATCH - 1):
        if fingerprint(text_of(tokens[row])).to_bytes() != records[row]:
            raise SystemExit("synthetic records differ from fingerprint(text): bench is wrong")


def measure(size: int, queries_wanted: int, workers: int) -> dict[str, float]:
    """Build an index of ``size`` synthetic articles and measure it; return the figures."""
    batches = size // BATCH
    gc.collect()
    before = resident_bytes()
    started = time.perf_counter()
    records = list(stored_records(batches, workers))
    synthesised = time.perf_counter() - started
    record_bytes = sum(len(record) for record in records)
    started = time.perf_counter()
    index = CopyIndex.from_records(enumerate(records))
    rebuild = time.perf_counter() - started
    del records
    gc.collect()
    after = resident_bytes()
    held = index.held_bytes()

    queries = planted_queries(batches, queries_wanted)
    started = time.perf_counter()
    prints = [fingerprint(query.text) for query in queries]
    fingerprint_ms = (time.perf_counter() - started) * 1000 / len(queries)
    timings: list[float] = []
    candidates: list[int] = []
    found = missed = false_matches = 0
    for query, fp in zip(queries, prints, strict=True):
        started = time.perf_counter()
        match = index.find_copy_of(fp)
        timings.append((time.perf_counter() - started) * 1000)
        candidates.append(len(index.candidate_ids(fp)))
        if query.source is None:
            false_matches += match is not None
        elif match is not None and match[0] == query.source:
            found += 1
        else:
            missed += 1
            print(f"  missed: {query.kind} of article {query.source} -> {match}")
    started = time.perf_counter()
    for number, fp in enumerate(prints):
        index.add(size + number, fp)
    add_ms = (time.perf_counter() - started) * 1000 / len(prints)
    timings.sort()
    return {
        "size": size,
        "synthesise_s": synthesised,
        "rebuild_s": rebuild,
        "record_mb": record_bytes / 2**20,
        "index_mb": held / 2**20,
        "rss_mb": (after - before) / 2**20,
        "check_median_ms": statistics.median(timings),
        "check_p95_ms": timings[int(0.95 * (len(timings) - 1))],
        "check_mean_ms": statistics.fmean(timings),
        "candidates_mean": statistics.fmean(candidates),
        "found": found,
        "missed": missed,
        "false": false_matches,
        "fingerprint_ms": fingerprint_ms,
        "add_ms": add_ms,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scale bench and print its table; 1 when an unrelated article matched."""
    parser = bench_parser(
        __doc__, quick=f"{QUICK_SIZE:,} stored articles, {QUICK_QUERIES} checks, no worker pool"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=210)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.queries, args.workers = [QUICK_SIZE], QUICK_QUERIES, 1
    check_sample_matches_real_fingerprints()
    rows = []
    for size in args.sizes:
        row = measure(size, args.queries, args.workers)
        rows.append(row)
        print(
            f"{size:>9,} stored | synthesise {row['synthesise_s']:6.1f} s | rebuild "
            f"{row['rebuild_s']:6.1f} s | records {row['record_mb']:7.0f} MiB | index "
            f"{row['index_mb']:7.0f} MiB | RSS +{row['rss_mb']:7.0f} MiB | check median "
            f"{row['check_median_ms']:.2f} ms p95 {row['check_p95_ms']:.2f} ms mean "
            f"{row['check_mean_ms']:.2f} ms | candidates {row['candidates_mean']:.1f} | "
            f"found {row['found']:.0f}/{row['found'] + row['missed']:.0f} | false "
            f"{row['false']:.0f} | fingerprint {row['fingerprint_ms']:.2f} ms | add "
            f"{row['add_ms']:.2f} ms",
            flush=True,
        )
        gc.collect()
    ratio: dict[str, float] = {}
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        ratio = {
            "check_median": last["check_median_ms"] / first["check_median_ms"],
            "check_p95": last["check_p95_ms"] / first["check_p95_ms"],
            "rebuild": last["rebuild_s"] / first["rebuild_s"],
            "index_memory": last["index_mb"] / first["index_mb"],
        }
        print(
            f"ratio {last['size']:,.0f} / {first['size']:,.0f}: check median "
            f"{last['check_median_ms'] / first['check_median_ms']:.2f}x, p95 "
            f"{last['check_p95_ms'] / first['check_p95_ms']:.2f}x, rebuild "
            f"{last['rebuild_s'] / first['rebuild_s']:.0f}x, index memory "
            f"{last['index_mb'] / first['index_mb']:.0f}x"
        )
    write_figures(args.json, {"sizes": rows, "ratio_largest_to_smallest": ratio})
    return 0 if all(row["false"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
