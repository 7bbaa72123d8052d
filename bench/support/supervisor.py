"""The distributed benches' supervisor: one process per role slot, kill -9, replacement.

A *slot* is one place in the deployment ("poller-1", "gateway-0": a role and its arguments).
The supervisor starts one process per slot (``python -m bench.support.role_process …``),
kills one outright when asked (SIGKILL, as a crashed machine would: no clean hand-over, no
lease released), and starts its replacement in the same slot, as systemd or Kubernetes would.

Rules:
- Each process starts in a session of its own, and a kill is ``killpg(SIGKILL)``: the role
  process and its worker processes (page reading, feed parsing) die together, as they do
  when a machine or a container dies.
- Every incarnation of a slot is kept: its pid, when it started and ended, whether it was
  killed, its CPU seconds (the process and its workers, read from ``/proc`` at every
  sample; for a killed one, at least the kernel's own count collected when it is reaped)
  and its RSS samples (the role process alone, and with its workers).
- A process that exits by itself during the run is a failure of the role, not of the bench:
  ``reap_exits`` finds it, records it (``unexpected_exits``) and starts a replacement, so the
  run goes on and the report says so.
- ``stop_all`` stops every live process with SIGTERM (the roles stop cleanly on it), then
  SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.support.soak import cpu_seconds, rss_mb

ROOT = Path(__file__).resolve().parents[2]
MODULE = "bench.support.role_process"
STOP_SECONDS = 20.0


@dataclass(frozen=True)
class Slot:
    """One place in the deployment: a role and the arguments of its process."""

    name: str
    role: str
    args: tuple[str, ...]


@dataclass
class Incarnation:
    """One process that ran in a slot."""

    slot: str
    role: str
    pid: int
    started_at: float
    ended_at: float | None = None
    killed: bool = False
    exit_status: int | None = None
    cpu_seconds: float = 0.0
    rss_mb: list[tuple[float, float]] = field(default_factory=list)
    tree_rss_mb: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class UnexpectedExit:
    """A role process that exited without being killed or stopped."""

    slot: str
    pid: int
    at: float
    exit_status: int | None
    log: str


class Supervisor:
    """Starts, kills and replaces the role processes of a distributed bench."""

    def __init__(self, slots: Sequence[Slot], workdir: Path) -> None:
        self.slots = {slot.name: slot for slot in slots}
        self._workdir = workdir
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._current: dict[str, Incarnation] = {}
        self.incarnations: list[Incarnation] = []
        self.unexpected_exits: list[UnexpectedExit] = []

    def log_path(self, slot: str) -> Path:
        """Where the processes of ``slot`` write (every incarnation appends)."""
        return self._workdir / f"{slot}.log"

    def start_all(self) -> None:
        """Start one process in every slot."""
        for name in self.slots:
            self.start(name)

    def start(self, name: str) -> Incarnation:
        """Start a process in slot ``name`` (which must have none running)."""
        if name in self._processes:
            raise RuntimeError(f"slot {name} already has a process")
        slot = self.slots[name]
        log_path = self.log_path(name)
        with log_path.open("ab") as output:
            output.write(f"==== {time.strftime('%H:%M:%S')} starting {name}\n".encode())
            output.flush()
            process = subprocess.Popen(
                [sys.executable, "-m", MODULE, *slot.args],
                stdout=output, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
            )
        incarnation = Incarnation(name, slot.role, process.pid, time.time())
        self._processes[name] = process
        self._current[name] = incarnation
        self.incarnations.append(incarnation)
        return incarnation

    def current(self, name: str) -> Incarnation | None:
        """The live incarnation of slot ``name``, if any."""
        return self._current.get(name)

    def live(self) -> list[Incarnation]:
        """Every live incarnation."""
        return list(self._current.values())

    def slot_of_pid(self, pid: int) -> str | None:
        """The slot whose live process has ``pid``."""
        for name, incarnation in self._current.items():
            if incarnation.pid == pid:
                return name
        return None

    def kill(self, name: str) -> Incarnation:
        """SIGKILL the process of slot ``name`` and reap it; the slot is left empty."""
        process = self._processes.pop(name)
        incarnation = self._current.pop(name)
        self._sample_one(incarnation)
        os.killpg(process.pid, signal.SIGKILL)
        self._reap(process, incarnation)
        incarnation.killed = True
        return incarnation

    def reap_exits(self) -> list[UnexpectedExit]:
        """Find processes that exited by themselves; record and replace each."""
        found: list[UnexpectedExit] = []
        for name, process in list(self._processes.items()):
            if process.poll() is None:
                continue
            incarnation = self._current.pop(name)
            del self._processes[name]
            incarnation.ended_at = time.time()
            incarnation.exit_status = process.returncode
            tail = _tail(self.log_path(name))
            exit_record = UnexpectedExit(name, process.pid, time.time(), process.returncode, tail)
            self.unexpected_exits.append(exit_record)
            found.append(exit_record)
            self.start(name)
        return found

    def sample(self) -> None:
        """Read the CPU time and RSS of every live process."""
        for incarnation in self._current.values():
            self._sample_one(incarnation)

    def _sample_one(self, incarnation: Incarnation) -> None:
        now = time.time()
        try:
            root_rss = rss_mb(incarnation.pid)
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            return  # it exited between two looks; reap_exits will say so
        cpu, tree_rss = 0.0, 0.0
        for pid in process_tree(incarnation.pid):
            try:
                cpu += cpu_seconds(pid)
                tree_rss += rss_mb(pid)
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
        incarnation.cpu_seconds = max(incarnation.cpu_seconds, cpu)
        incarnation.rss_mb.append((now, root_rss))
        incarnation.tree_rss_mb.append((now, tree_rss))

    def _reap(self, process: subprocess.Popen[bytes], incarnation: Incarnation) -> None:
        """Wait for a dead child and take the kernel's CPU count of it (children included)."""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        incarnation.ended_at = time.time()
        incarnation.exit_status = process.returncode
        incarnation.cpu_seconds = max(incarnation.cpu_seconds, usage.ru_utime + usage.ru_stime)

    def stop_all(self) -> None:
        """SIGTERM every live process, then SIGKILL what has not stopped in time."""
        self.sample()
        for process in self._processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for name, process in list(self._processes.items()):
            incarnation = self._current.pop(name)
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_SECONDS)
            incarnation.ended_at = time.time()
            incarnation.exit_status = process.returncode
            del self._processes[name]

    def per_slot(self) -> dict[str, dict[str, float]]:
        """CPU seconds (every incarnation together), last and largest RSS, per slot."""
        figures: dict[str, dict[str, float]] = {}
        for name in self.slots:
            mine = [i for i in self.incarnations if i.slot == name]
            samples = [mb for i in mine for _, mb in i.rss_mb if mb > 0]
            tree = [mb for i in mine for _, mb in i.tree_rss_mb if mb > 0]
            last = next((i.rss_mb[-1][1] for i in reversed(mine) if i.rss_mb), 0.0)
            figures[name] = {
                "processes": float(len(mine)),
                "cpu_seconds": sum(i.cpu_seconds for i in mine),
                "rss_last_mb": last,
                "rss_max_mb": max(samples, default=0.0),
                "with_workers_rss_max_mb": max(tree, default=0.0),
            }
        return figures


def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, []))
    return found


def _tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
