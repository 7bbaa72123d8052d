"""Every answer a cog sends fits one Discord message, by construction."""

from __future__ import annotations

import ast
from pathlib import Path

from cogs.shared.replies import fit_message

ROOT = Path(__file__).resolve().parents[2]
# The discord.py calls that put text in front of a person; only cogs/shared/replies.py makes
# them, after fit_message.
SENDING_CALLS = {"send_message", "edit_message", "edit_original_response", "send"}
REPLIES = ROOT / "cogs" / "shared" / "replies.py"


def test_a_long_text_is_cut_to_one_message_with_an_ellipsis() -> None:
    assert fit_message("short") == "short"
    exact = "x" * 2000
    assert fit_message(exact) == exact
    cut = fit_message("word " * 1000)
    assert len(cut) <= 2000 and cut.endswith("…")


def test_cogs_send_text_only_through_the_replies_module() -> None:
    offenders = []
    for path in sorted((ROOT / "cogs").rglob("*.py")):
        if path == REPLIES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SENDING_CALLS
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr in {"response", "followup"}
            ) or (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "edit_original_response"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "send through cogs.shared.replies (reply, update_message, …)"


# What a command may await first: an acknowledgement, or an answer that needs no I/O first.
ACKNOWLEDGING = {"think_privately", "reply", "reply_privately", "send_modal"}


def test_every_command_acknowledges_the_interaction_before_any_io() -> None:
    late = []
    for path in sorted((ROOT / "cogs").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.AsyncFunctionDef) or not any(
                isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command"
                for d in node.decorator_list
            ):
                continue
            awaits = sorted(
                (n for n in ast.walk(node) if isinstance(n, ast.Await)),
                key=lambda n: (n.lineno, n.col_offset),
            )
            first = awaits[0].value if awaits else None
            called = first.func if isinstance(first, ast.Call) else None
            name = getattr(called, "attr", None) or getattr(called, "id", None)
            if name not in ACKNOWLEDGING:
                late.append(f"{path.relative_to(ROOT)}:{node.name} awaits {name} first")
    assert late == [], "acknowledge first (think_privately): Discord wants it within 3 s"
