"""The layering rules of DESIGN.md §2, checked by walking every module's syntax tree."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX|VIEW|TRIGGER)|DROP\s+TABLE|PRAGMA\s+\w+|BEGIN\s+IMMEDIATE)\b",
    re.IGNORECASE | re.DOTALL,
)
# The Discord edge: the one package that imports discord.py (the sandbox and cogs aside).
DISCORD_EDGE = "bot/discord_io/"
# The entry point and composition roots may load the edge (they build and start the client;
# so do the roles that talk to Discord), but never import discord themselves.
COMPOSITION_ROOT = {
    "bot/app/runtime.py", "bot/app/cli.py", "bot/__main__.py", "bot/app/roles/deliverer_role.py",
    "bot/app/roles/gateway_role.py",
}
STORAGE_MAY_IMPORT = {"aiosqlite", "asyncpg", "bot.core.models", "bot.core.errors", "storage"}


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
        if any(top(name) in {"aiosqlite", "sqlite3", "asyncpg"}
               for name in imported_names(parsed(path)))
    ]
    assert offenders == []


def test_cogs_never_import_storage() -> None:
    offenders = [
        relative(path) for path in modules("cogs")
        if any(top(name) == "storage" for name in imported_names(parsed(path)))
    ]
    assert offenders == []


def test_cogs_reach_storage_only_through_services() -> None:
    """Cogs call one domain API, ``bot.services`` (Red's ``bank`` pattern): none names a
    repository, or reaches past a service into what it holds."""
    offenders = [
        f"{relative(path)}:{node.lineno} {node.attr}"
        for path in modules("cogs")
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Attribute)
        and (node.attr in {"repositories", "database"} or node.attr.startswith("_repos"))
    ]
    assert offenders == []


def test_services_hold_no_storage() -> None:
    """What ``Services`` exposes is services and plain values, never a repository."""
    from bot.app.services import Services  # noqa: PLC0415 (imported for its fields' types)

    storage_fields = {
        name: hint
        for name, hint in typing.get_type_hints(Services).items()
        if top(getattr(hint, "__module__", "")) == "storage"
    }
    assert storage_fields == {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_import_graph() -> dict[str, set[str]]:
    """Map every project module to the modules importing it loads: what it imports (outside
    ``if TYPE_CHECKING:``, inside functions too: they load when called) and the packages
    those live in, whose ``__init__`` runs first."""
    graph: dict[str, set[str]] = {}
    for folder in ("bot", "cogs", "storage"):
        for path in modules(folder):
            tree = parsed(path)
            type_only = {
                id(inner)
                for node in ast.walk(tree)
                if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                for inner in ast.walk(node)
            }
            loads: set[str] = set()
            for node in ast.walk(tree):
                if id(node) in type_only:
                    continue
                if isinstance(node, ast.Import):
                    loads.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    loads.add(node.module)
                    loads.update(f"{node.module}.{alias.name}" for alias in node.names)
            graph[module_name(path)] = loads
    for name, loads in graph.items():
        parents = {".".join(n.split(".")[:i]) for n in loads for i in range(1, n.count(".") + 1)}
        own_parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        loads |= {p for p in parents | own_parents if p in graph}
    return graph


def loads_discord(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    """Return, for every project module that loads discord.py at all, one chain that does."""
    chains: dict[str, list[str]] = {}

    def chain(name: str, seen: frozenset[str]) -> list[str] | None:
        if name in chains:
            return chains[name]
        for loaded in sorted(graph.get(name, ())):
            if top(loaded) == "discord":
                return [name, loaded]
            if loaded in graph and loaded not in seen:
                found = chain(loaded, seen | {loaded})
                if found is not None:
                    return [name, *found]
        return None

    for name in graph:
        found = chain(name, frozenset({name}))
        if found is not None:
            chains[name] = found
    return chains


def is_domain(name: str) -> bool:
    path = name.replace(".", "/")
    return not (
        path.startswith(("bot/discord_io", "bot/sandbox", "cogs"))
        or f"{path}.py" in COMPOSITION_ROOT
    )


def test_only_the_discord_edge_cogs_and_sandbox_import_discord() -> None:
    offenders = [
        relative(path)
        for path in modules("bot")
        if not relative(path).startswith((DISCORD_EDGE, "bot/sandbox/"))
        and any(top(name) == "discord" for name in imported_names(parsed(path)))
    ]
    assert offenders == []


def test_no_domain_module_loads_discord_even_through_a_helper() -> None:
    chains = loads_discord(project_import_graph())
    offenders = {name: " -> ".join(found) for name, found in chains.items() if is_domain(name)}
    assert offenders == {}


def test_importing_the_domain_loads_no_discord_in_a_fresh_interpreter() -> None:
    """The static walk above names the chain; this proves it on the real interpreter."""
    names = sorted(
        name for name in project_import_graph() if is_domain(name) and "__main__" not in name
    )
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'discord'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_newsdesk_run_loads_no_sandbox_module() -> None:
    script = (
        "import sys, bot.app.cli, bot.app.runtime\n"
        "print(sorted(m for m in sys.modules if 'sandbox' in m))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_fake_discord_imports_nothing_from_the_bot() -> None:
    offenders = sorted(
        f"{relative(path)}: {name}"
        for path in modules("bot/sandbox/fake_discord")
        for name in imported_names(parsed(path))
        if top(name) in {"bot", "cogs", "storage"}
        and not name.startswith("bot.sandbox.fake_discord")
    )
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
        and name not in STORAGE_MAY_IMPORT
        and top(name) not in {"aiosqlite", "asyncpg", "storage"}
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
    # A domain module that reaches discord through a helper two steps away is found.
    graph = {
        "bot.core.text": {"bot.features.helper"},
        "bot.features.helper": {"bot.discord_io.embeds"},
        "bot.discord_io.embeds": {"discord"},
    }
    assert loads_discord(graph)["bot.core.text"] == [
        "bot.core.text", "bot.features.helper", "bot.discord_io.embeds", "discord"
    ]
