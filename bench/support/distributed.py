"""The distributed soak: the soak's world served by role processes over PostgreSQL, with kills.

``bench.soak --distributed`` runs this. The farm and the sandbox are the soak's own
(``bench.support.soak``); the bot is no longer one process but a deployment (``Topology``),
each process started by the ``Supervisor`` as ``python -m bench.support.role_process ROLE``
(what ``newsdesk run --role ROLE`` runs), all on one fresh PostgreSQL database:

- gateway ×2: ``--shards 0-3 --shard-count 8`` and ``--shards 4-7`` (the sandbox
  recommends 8 shards and routes each guild's events to ``(guild_id >> 22) % 8``);
- poller ×2, reader ×2, desk ×2 (leader + standby), deliverer ×2 (leader + standby).

The bench is the supervisor: every ``--kill-every`` seconds while items are published it
kills one role process outright (``killpg(SIGKILL)``: the process and its workers) and
starts its replacement ``--replace-after`` seconds later. The targets cycle through a
shuffled list (``TARGETS``) so every kind is hit: a gateway cluster, a poller, a reader, the
desk's and the deliverer's leader (found through their lease row, whose holder names the
pid) and their standby.

For each kill it records (``KillRecord``):

- ``replaced_at``: when the replacement process was started;
- ``ready_at``, where it can be seen from outside: for a gateway, when every shard of the
  cluster was identified again (the sandbox's IDENTIFY log); for a killed leader, when the
  lease was taken over under a new epoch (by the standby, or the replacement); a poller,
  a reader or a standby shows nothing (``None``);
- ``caught_up_at``: once it is ready (else replaced), when every post of an item published
  before the kill has reached its channel: whatever the kill held up (leases of claimed
  feeds or articles, a release or a send in flight) was done by someone;
- for a gateway, ``commands_back_at``: the first command on one of its guilds answered
  after the kill.

Commands typed while their guild's shard had no process are counted apart ("shard down",
never sent: Discord would answer "The application did not respond"); the first-response
figures are over the commands that were sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.support.role_process import role_command
from bench.support.soak import (
    Control,
    Plan,
    article_url,
    guild_ids,
)
from bench.support.supervisor import Slot, Supervisor, UnexpectedExit
from storage import Database
from storage.leases import current_leases

log = logging.getLogger(__name__)

START_TIMEOUT = 300.0
WATCH_SECONDS = 0.5
LEADER_ROLES = ("desk", "deliverer")
TARGETS = (
    "gateway", "poller", "reader", "desk leader", "deliverer leader", "desk standby",
    "deliverer standby",
)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that holds a guild (Discord's formula)."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class Topology:
    """How many processes of each role the deployment runs."""

    gateway_clusters: int = 2
    pollers: int = 2
    readers: int = 2
    desks: int = 2
    deliverers: int = 2

    def cluster_shards(self, shard_count: int) -> list[tuple[int, int]]:
        """The first and last shard of each gateway cluster (contiguous ranges)."""
        if not 1 <= self.gateway_clusters <= shard_count:
            raise ValueError("between one gateway cluster and one per shard")
        bounds = [round(i * shard_count / self.gateway_clusters)
                  for i in range(self.gateway_clusters + 1)]
        return [(bounds[i], bounds[i + 1] - 1) for i in range(self.gateway_clusters)]

    def shard_ranges(self, shard_count: int) -> dict[str, tuple[int, int]]:
        """The first and last shard of each gateway slot, by slot name."""
        return {
            f"gateway-{index}": bounds
            for index, bounds in enumerate(self.cluster_shards(shard_count))
        }

    def slots(self, shard_count: int, settings_path: Path, sandbox_info: Path) -> list[Slot]:
        """One slot per process of the deployment."""
        slots = [
            Slot(
                f"gateway-{index}", "gateway",
                tuple(role_command("gateway", settings_path, sandbox_info,
                                   f"{first}-{last}", shard_count)),
            )
            for index, (first, last) in enumerate(self.cluster_shards(shard_count))
        ]
        for role, count in (
            ("poller", self.pollers), ("reader", self.readers), ("desk", self.desks),
            ("deliverer", self.deliverers),
        ):
            slots += [
                Slot(f"{role}-{index}", role,
                     tuple(role_command(role, settings_path, sandbox_info)))
                for index in range(count)
            ]
        return slots


@dataclass
class KillRecord:
    """One kill -9 and what followed (epoch seconds)."""

    target: str
    slot: str
    role: str
    pid: int
    killed_at: float
    was_leader: bool | None = None
    epoch_at_kill: int | None = None
    shards: list[int] = field(default_factory=list)
    backlog_at_kill: int = 0
    replaced_at: float | None = None
    replacement_pid: int | None = None
    ready_at: float | None = None
    ready_means: str = ""
    caught_up_at: float | None = None
    commands_back_at: float | None = None

    @property
    def recovered(self) -> bool:
        """Replaced, ready where that can be seen, and caught up."""
        ready = self.ready_at is not None or not self.ready_means
        return self.replaced_at is not None and ready and self.caught_up_at is not None

    def seconds(self, at: float | None) -> float | None:
        """``at`` relative to the kill."""
        return None if at is None else round(at - self.killed_at, 2)

    def summary(self) -> dict[str, Any]:
        """The record with times relative to the kill."""
        return {
            "target": self.target, "slot": self.slot, "pid": self.pid,
            "was_leader": self.was_leader, "shards": self.shards,
            "backlog_at_kill": self.backlog_at_kill,
            "replaced_after": self.seconds(self.replaced_at),
            "ready_after": self.seconds(self.ready_at), "ready_means": self.ready_means,
            "caught_up_after": self.seconds(self.caught_up_at),
            "commands_back_after": self.seconds(self.commands_back_at),
            "recovered": self.recovered,
        }


class Watch:
    """What the bench sees while the soak runs: posts as they land, shards, leases."""

    def __init__(
        self, plan: Plan, farm_base: str, control: Control, control_url: str, database: Database
    ) -> None:
        self.plan = plan
        self._farm_base = farm_base
        self._control = control
        self._control_url = control_url
        self._database = database
        self._next = 0
        self.arrivals: dict[tuple[str, int], float] = {}
        self.schedule: list[tuple[float, tuple[str, int]]] = []
        self.connected: set[int] = set()
        self.identifies: list[tuple[int, float]] = []
        self.leases: dict[str, tuple[int, int | None]] = {}  # role -> (epoch, holder pid)
        self.takeovers: list[tuple[str, int, int | None, float]] = []
        self.stats: dict[str, Any] = {}

    def plan_schedule(self, start: float, end: float) -> None:
        """Every (article, channel) the run will publish, by publication time."""
        ids = guild_ids(self.plan)
        channels: dict[int, list[int]] = {}
        for j in range(self.plan.subscriptions):
            guild, n, offset = self.plan.subscription(j)
            channels.setdefault(n, []).append(ids[guild] + offset)
        self.schedule = sorted(
            (
                self.plan.item_time(n, k, start),
                (article_url(self.plan.feed_base(self._farm_base, n), n, k), channel),
            )
            for n in range(self.plan.feeds)
            for k in range(self.plan.published(n, start, end))
            for channel in channels[n]
        )

    async def look(self) -> None:
        """Fetch the new posts, the sandbox's shards and the lease rows."""
        found = await self._control.get(f"{self._control_url}/posts/since?index={self._next}")
        self._next = int(found["next"])
        for post in found["posts"]:
            if post["url"] is not None:
                self.arrivals.setdefault((str(post["url"]), int(post["channel_id"])),
                                         float(post["at"]))
        self.stats = await self._control.get(f"{self._control_url}/stats")
        self.connected = {int(shard) for shard, _ in self.stats["connected_shards"]}
        self.identifies = [(int(shard), float(at)) for shard, _, at in self.stats["identifies"]]
        now = time.time()
        for lease in await current_leases(self._database):
            pid = holder_pid(lease.holder)
            if lease.seconds_left <= 0:
                pid = None  # ran out: nobody leads until a standby takes it over
            previous = self.leases.get(lease.name)
            if previous is None or previous[0] != lease.epoch:
                self.takeovers.append((lease.name, lease.epoch, pid, now))
            self.leases[lease.name] = (lease.epoch, pid)

    def published_before(self, at: float) -> list[tuple[str, int]]:
        """The (article, channel) pairs of items published by ``at``."""
        return [pair for when, pair in self.schedule if when <= at]

    def backlog(self, at: float) -> int:
        """Posts of items published by ``at`` that had not landed by ``at``."""
        return sum(
            1 for pair in self.published_before(at)
            if self.arrivals.get(pair, float("inf")) > at
        )

    def update(self, kill: KillRecord) -> None:
        """Fill in what can now be seen of ``kill``'s recovery."""
        if kill.replaced_at is None or kill.caught_up_at is not None:
            return
        if kill.ready_at is None and kill.ready_means:
            kill.ready_at = self._ready_at(kill)
            if kill.ready_at is None:
                return
        pending = [pair for pair in self.published_before(kill.killed_at)
                   if pair not in self.arrivals]
        if pending:
            return
        landed = [self.arrivals[pair] for pair in self.published_before(kill.killed_at)]
        kill.caught_up_at = max([kill.ready_at or kill.replaced_at, *landed])

    def _ready_at(self, kill: KillRecord) -> float | None:
        if kill.role == "gateway":
            after = [min((at for shard, at in self.identifies
                          if shard == wanted and at > kill.killed_at), default=None)
                     for wanted in kill.shards]
            if any(at is None for at in after):
                return None
            return max(at for at in after if at is not None)
        for name, epoch, _pid, seen_at in self.takeovers:
            if name == kill.role and kill.epoch_at_kill is not None and epoch > kill.epoch_at_kill:
                return seen_at
        return None


def holder_pid(holder: str) -> int | None:
    """The pid in a lease holder's name (``host:pid:random``, ``bot.app.roles.process_name``)."""
    parts = holder.split(":")
    try:
        return int(parts[-2])
    except (IndexError, ValueError):
        return None


class Chaos:
    """Chooses and kills role processes; starts their replacements."""

    def __init__(
        self, supervisor: Supervisor, watch: Watch, shards: dict[str, tuple[int, int]], *,
        replace_after: float, rng: random.Random,
    ) -> None:
        self._supervisor = supervisor
        self._watch = watch
        self._shards = shards
        self._replace_after = replace_after
        self._rng = rng
        self._queue: list[str] = []
        self.kills: list[KillRecord] = []
        self._replacing: set[asyncio.Task[None]] = set()

    def next_target(self) -> str:
        """The next kind of process to kill: every kind once, in a shuffled order, then again."""
        if not self._queue:
            self._queue = list(TARGETS)
            self._rng.shuffle(self._queue)
        return self._queue.pop(0)

    def choose(self, target: str) -> tuple[str, bool | None, int | None]:
        """The slot to kill for ``target``, whether it leads, and the epoch now."""
        role, _, standing = target.partition(" ")
        live = [i for i in self._supervisor.live() if i.role == role]
        if not live:
            raise RuntimeError(f"no live {role} process to kill")
        if role not in LEADER_ROLES:
            return self._rng.choice(live).slot, None, None
        epoch, leader_pid = self._watch.leases.get(role, (None, None))
        leaders = [i for i in live if i.pid == leader_pid]
        others = [i for i in live if i.pid != leader_pid]
        pool = (leaders if standing == "leader" else others) or live
        chosen = self._rng.choice(pool)
        return chosen.slot, chosen.pid == leader_pid, epoch

    def kill(self) -> KillRecord:
        """Kill the next target now; its replacement starts ``replace_after`` seconds later."""
        target = self.next_target()
        slot, was_leader, epoch = self.choose(target)
        killed = self._supervisor.kill(slot)
        record = KillRecord(
            target=target, slot=slot, role=killed.role, pid=killed.pid,
            killed_at=killed.ended_at or time.time(), was_leader=was_leader, epoch_at_kill=epoch,
        )
        if killed.role == "gateway":
            first, last = self._shards[slot]
            record.shards = list(range(first, last + 1))
            record.ready_means = "every shard of the cluster identified again"
        elif was_leader:
            record.ready_means = "the lease taken over under a new epoch"
        record.backlog_at_kill = self._watch.backlog(record.killed_at)
        self.kills.append(record)
        log.warning("killed %s (%s, pid %d)", slot, target, killed.pid)
        task = asyncio.create_task(self._replace(record), name=f"replace-{slot}")
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)
        return record

    async def _replace(self, record: KillRecord) -> None:
        await asyncio.sleep(self._replace_after)
        started = self._supervisor.start(record.slot)
        record.replaced_at, record.replacement_pid = started.started_at, started.pid

    async def settle(self) -> None:
        """Wait until every replacement has been started."""
        while self._replacing:
            await asyncio.wait(set(self._replacing))


@dataclass
class Distributed:
    """The figures that only the distributed soak has (beside the soak's own)."""

    topology: Topology
    shard_count: int
    kill_every: float
    replace_after: float
    kills: list[dict[str, Any]] = field(default_factory=list)
    unexpected_exits: list[dict[str, Any]] = field(default_factory=list)
    per_slot: dict[str, dict[str, float]] = field(default_factory=dict)
    takeovers: list[dict[str, Any]] = field(default_factory=list)
    lag: dict[str, float] = field(default_factory=dict)
    shard_down_commands: int = 0
    refused_identifies: int = 0
    missing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def kills_ok(self) -> bool:
        """Every kill recovered from and no process died by itself."""
        return all(k["recovered"] for k in self.kills) and not self.unexpected_exits


@dataclass
class Deployment:
    """The running pieces of a distributed soak, for ``bench.soak`` to drive."""

    supervisor: Supervisor
    watch: Watch
    chaos: Chaos
    database: Database
    address: str


async def wait_for_shards(
    control: Control, control_url: str, shard_count: int, supervisor: Supervisor
) -> dict[str, Any]:
    """Wait until every shard is connected and the commands are synced; return /stats."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        stats: dict[str, Any] = await control.get(control_url + "/stats")
        if len(stats["connected_shards"]) == shard_count and stats["commands_synced"]:
            return stats
        for exit_record in supervisor.reap_exits():
            raise RuntimeError(
                f"{exit_record.slot} exited with {exit_record.exit_status} at start:\n"
                f"{exit_record.log}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the shards did not all connect in time: {stats}")
        await asyncio.sleep(0.2)


def unexpected(exits: list[UnexpectedExit]) -> list[dict[str, Any]]:
    """The unexpected exits, as figures."""
    return [
        {"slot": e.slot, "pid": e.pid, "at": e.at, "exit_status": e.exit_status, "log": e.log}
        for e in exits
    ]

