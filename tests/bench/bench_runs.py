"""Running the benches from their smoke tests: in this process, or as the command people type."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures import SHARED

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = SHARED / "data"  # ../shared/data from the repository root


def load_bench(name: str) -> ModuleType:
    """Import ``bench.<name>``."""
    return importlib.import_module(f"bench.{name}")


def figures_written(out: Path) -> dict[str, Any]:
    """The figures a bench wrote with ``--json``."""
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def run_bench(name: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """Run ``bench.<name>`` with ``--quick --json …`` in this process (its ``main``, exactly
    what the command runs after parsing); return the figures it wrote."""
    out = tmp_path / f"{name}.json"
    status = load_bench(name).main(["--quick", "--json", str(out), *extra])
    assert status == 0, f"bench.{name} --quick exited with {status}"
    return figures_written(out)


def run_quick_bench(name: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """Run ``python -m bench.<name> --quick --json …`` as a command, from the repository root;
    return the figures it wrote."""
    out = tmp_path / f"{name}.json"
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick", "--json", str(out), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=90, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return figures_written(out)


def shared_data(folder: str) -> Path:
    """``../shared/data/<folder>`` beside the repository; without it, skip the test and say
    why (``-rs`` prints the reason)."""
    path = SHARED_DATA / folder
    if not path.is_dir():
        pytest.skip(f"{path} is absent (the shared data sets are not on this machine)")
    return path
