"""Newsdesk's benchmarks: each module is one bench, run as ``python -m bench.<name>``.

Every bench takes ``--quick`` (a small, fast run through the same code path, what the smoke
tests in ``tests/bench/`` run) and ``--json PATH`` (also write its figures there); see
``bench/README.md`` for the current figures and the command behind each. Shared helpers (the
sandbox and bot processes, the feed farms, the loop watchdog, synthetic worlds) live in
``bench.support``. The package is not installed with the bot: run it from the repository root.
"""
