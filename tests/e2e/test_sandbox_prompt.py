"""``newsdesk sandbox`` at a real terminal: a demo post arriving while a person types puts the
prompt, and what they had typed, back under the post, and their line still runs whole."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import sys
import time
from pathlib import Path

PROMPT = b"admin in #general> "
WAIT_SECONDS = 90.0  # the demo's first story is published 20 s after start


class Terminal:
    """The sandbox on the far side of a pseudo-terminal."""

    def __init__(self, database: Path) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the sandbox
            os.execvp(sys.executable, [
                sys.executable, "-m", "bot", "sandbox", "--db", str(database),
            ])
        self.output = b""

    def read_until(self, wanted: bytes, start: int = 0) -> int:
        """Read until ``wanted`` appears at or after ``start``; return where it begins."""
        deadline = time.monotonic() + WAIT_SECONDS
        while (found := self.output.find(wanted, start)) < 0:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {wanted!r} in:\n{self.output.decode(errors='replace')}"
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if ready:
                self.output += os.read(self.fd, 65536)
        return found

    def type(self, text: bytes) -> None:
        os.write(self.fd, text)

    def close(self) -> int:
        self.type(b":quit\n")
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                with contextlib.suppress(OSError):  # the far side closed: the sandbox ended
                    self.output += os.read(self.fd, 65536)
        os.kill(self.pid, 9)
        raise AssertionError("the sandbox did not stop after :quit")


def test_a_post_arriving_while_typing_redraws_the_prompt_and_the_typed_text(
    tmp_path: Path,
) -> None:
    terminal = Terminal(tmp_path / "sandbox.sqlite3")
    try:
        terminal.read_until(PROMPT)
        terminal.type(b"/feed li")
        post = terminal.read_until(b"] #news Newsdesk \xc2\xb7 post")
        # The post clears the prompt's line, then the prompt comes back with the typed text.
        before_post = terminal.output[:post].rstrip(b"0123456789[")
        assert before_post.endswith(PROMPT + b"/feed li\r\x1b[2K")
        terminal.read_until(PROMPT + b"/feed li", post)
        terminal.type(b"st\n")
        terminal.read_until(b"This server follows 1 feed:", post)
    finally:
        assert terminal.close() == 0
