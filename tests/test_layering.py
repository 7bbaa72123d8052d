"""The layering rules of DESIGN.md §2, checked by walking every module's syntax tree."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX|VIEW|TRIGGER)|DROP\s+TABLE|PRAGMA\s+\w+|BEGIN\s+IMMEDIATE)\b",
    re.IGNORECASE | re.DOTALL,
)
# Domain modules that may touch discord: they format for, deliver to, or are the bot itself.
DISCORD_ALLOWED_IN_BOT = {
    "bot/discord_io/embeds.py",
    "bot/pipeline/deliver/deliverer.py",
    "bot/discord_io/sender.py",
    "bot/discord_io/client.py",
    "bot/app/cli.py",  # the entry point turns discord's login errors into sentences
}
STORAGE_MAY_IMPORT = {"aiosqlite", "bot.core.models", "bot.core.errors", "storage"}


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("folder", ["bot", "cogs"])
def test_no_sql_outside_storage(folder: str) -> None:
    offenders = [
        f"{relative(path)}:{node.lineno}"
        for path in modules(folder)
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and SQL.search(node.value)
    ]
    assert offenders == []


@pytest.mark.parametrize("folder", ["bot", "cogs"])
def test_aiosqlite_only_in_storage(folder: str) -> None:
    offenders = [
        relative(path) for path in modules(folder)
        if any(top(name) in {"aiosqlite", "sqlite3"} for name in imported_names(parsed(path)))
    ]
    assert offenders == []


def test_cogs_never_import_storage() -> None:
    offenders = [
        relative(path) for path in modules("cogs")
        if any(top(name) == "storage" for name in imported_names(parsed(path)))
    ]
    assert offenders == []


def test_domain_modules_import_discord_only_to_format_or_deliver() -> None:
    offenders = [
        relative(path)
        for path in modules("bot")
        if not relative(path).startswith("bot/sandbox/")
        and relative(path) not in DISCORD_ALLOWED_IN_BOT
        and any(top(name) == "discord" for name in imported_names(parsed(path)))
    ]
    assert offenders == []


def test_domain_modules_never_import_cogs() -> None:
    offenders = [
        relative(path) for path in modules("bot")
        if any(top(name) == "cogs" for name in imported_names(parsed(path)))
    ]
    assert offenders == []


def test_storage_imports_only_stdlib_aiosqlite_and_models() -> None:
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    offenders = sorted(
        f"{relative(path)}: {name}"
        for path in modules("storage")
        for name in imported_names(parsed(path))
        if top(name) not in stdlib
        and name not in STORAGE_MAY_IMPORT and top(name) not in {"aiosqlite", "storage"}
    )
    assert offenders == []


def test_no_module_is_named_utils() -> None:
    assert [p for folder in ("bot", "cogs", "storage") for p in modules(folder)
            if p.stem in {"utils", "helpers", "misc"}] == []


def test_the_layering_check_sees_violations() -> None:
    """Guard the guard: the walkers do find SQL and imports when they are there."""
    tree = ast.parse("import aiosqlite\nfrom discord import Embed\nQ = 'select id from feeds'\n")
    assert {"aiosqlite", "discord"} <= imported_names(tree)
    assert any(isinstance(n, ast.Constant) and SQL.search(str(n.value)) for n in ast.walk(tree))
