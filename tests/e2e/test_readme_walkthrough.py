"""README's sandbox walk-through, run as written: its typed lines go through
``newsdesk sandbox --script`` (demo newswire on, as ``newsdesk sandbox`` starts) and every
reply it documents must come back under the line that caused it. The lines are read from
README itself, so the two cannot drift apart."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = (
    "<!-- walk-through: tests/e2e/test_readme_walkthrough.py runs the lines of the next block -->"
)
DEMO_ADDRESS = "http://127.0.0.1:47801"
PROMPT = re.compile(
    r"^(?P<user>\S+) in #(?P<channel>\S+)(?: \((?P<guild>[^)]+)\))?> (?P<line>.+)$"
)
DEMO_LINE = re.compile(r"^Demo newswire: (?P<base>http://127\.0\.0\.1:\d+)/feed\.xml")


@dataclass
class Step:
    prompt_line: str
    typed: str
    replies: list[str] = field(default_factory=list)


def walkthrough() -> list[Step]:
    text = README.read_text(encoding="utf-8")
    block = text[text.index(MARKER) :].split("```text\n", 1)[1].split("```", 1)[0]
    steps: list[Step] = []
    for raw in block.splitlines():
        prompt = PROMPT.match(raw)
        if prompt:
            steps.append(Step(raw, prompt.group("line")))
        elif raw.startswith("  ") and steps:
            steps[-1].replies.append(raw)
        else:
            raise AssertionError(f"README's walk-through has a line no test checks: {raw!r}")
    return steps


def matches(documented: str, shown: str) -> bool:
    if documented.endswith("…"):
        return shown.startswith(documented[:-1])
    return shown == documented


def test_walkthrough_is_parsed_from_the_readme() -> None:
    steps = walkthrough()
    assert steps[0].typed == "/feed list"
    assert any(step.typed.startswith("/feed add url:http://127.0.0.1:47801/") for step in steps)
    assert sum(len(step.replies) for step in steps) >= 15


def test_readme_walkthrough_gives_the_documented_replies(tmp_path: Path) -> None:
    steps = walkthrough()
    script = tmp_path / "walkthrough.txt"
    script.write_text("".join(step.typed + "\n" for step in steps), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--db", str(tmp_path / "sandbox.sqlite3"),
         "--script", str(script)],
        capture_output=True, text=True, timeout=110, check=False, cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    demo = next((DEMO_LINE.match(line) for line in lines if DEMO_LINE.match(line)), None)
    assert demo is not None, completed.stdout
    # Should the demo port be busy, the newswire runs elsewhere: compare as documented.
    lines = [line.replace(demo.group("base"), DEMO_ADDRESS) for line in lines]

    position = 0
    for index, step in enumerate(steps):
        assert step.prompt_line in lines[position:], (
            f"the console did not show {step.prompt_line!r} (next of README's lines)\n"
            + completed.stdout
        )
        start = lines.index(step.prompt_line, position) + 1
        following = steps[index + 1].prompt_line if index + 1 < len(steps) else None
        end = lines.index(following, start) if following in lines[start:] else len(lines)
        # What arrives while waiting (a post) may land just after the wait, under load.
        segment = lines[start:] if step.typed.startswith(":wait") else lines[start:end]
        cursor = 0
        for documented in step.replies:
            found = next(
                (at for at in range(cursor, len(segment)) if matches(documented, segment[at])),
                None,
            )
            assert found is not None, (
                f"after {step.typed!r} README shows {documented!r}, but the console showed:\n"
                + "\n".join(segment)
            )
            cursor = found + 1
        position = end
