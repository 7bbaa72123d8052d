"""Running the benches from their smoke tests: in this process, or as the command people run."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


def load_bench(name: str) -> ModuleType:
    """Import ``bench/<name>.py`` (the benches import each other as top-level modules)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run_quick_bench(script: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """Run ``bench/<script> --quick --json …`` as a command; return the figures it wrote."""
    out = tmp_path / f"{script}.json"
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--json", str(out), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=90, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result
