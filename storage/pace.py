"""One global pace: the turns of Discord's global limit, shared by every process of a bot.

Rules (DESIGN.md §8):
- Discord allows a bot token 50 requests a second, whatever the number of processes and
  machines. Past one process (PostgreSQL roles), every counted request reserves its turn
  from one ``UNLOGGED`` row, ``global_pace``: one short ``UPDATE … RETURNING`` that moves
  the row's next turn ``spacing`` past the later of itself and now (plus a ``lead``: a turn
  is never given sooner than the answer can reach the caller), and returns the turn
  reserved and now, both on the database's clock. The caller maps them onto its own clock
  and sleeps until the turn (``bot.discord_io.pacing.SharedPace``).
- Now is the database's ``clock_timestamp()``, read after the row's lock is taken: every
  process reads the same clock, so machines' clocks never need to agree.
- A single statement is its own transaction, so the reservation holds the row's lock only
  for the statement: processes queue on it for well under a millisecond each.
- ``UNLOGGED``: a pace need not survive a crash of the server; a lost row is made again.
"""

from __future__ import annotations

from typing import NamedTuple

from storage.database import Database

DISCORD = "discord"
_NOW = "extract(epoch from clock_timestamp())"


class ReservedTurn(NamedTuple):
    """A turn reserved from the pace row and the moment it was reserved, both in the
    database's epoch seconds."""

    turn: float
    now: float

    @property
    def wait(self) -> float:
        """How many seconds after the reservation the turn comes (0 or less: at once)."""
        return self.turn - self.now


class PaceRow:
    """The pace row of one rate limit (by default, Discord's global one)."""

    def __init__(self, database: Database, name: str = DISCORD) -> None:
        if not database.dialect.is_postgres:
            raise ValueError("a pace shared between processes needs PostgreSQL")
        self._db = database
        self._name = name

    async def reserve(self, spacing: float, lead: float = 0.0) -> ReservedTurn:
        """Reserve the next turn: ``spacing`` seconds after the last one reserved, or ``lead``
        seconds from now when the row is idle."""
        while True:
            row = await self._db.fetch_one(
                f"UPDATE global_pace SET next_turn = GREATEST(next_turn, {_NOW} + :lead)"
                f" + :spacing WHERE name = :name RETURNING next_turn - :spacing, {_NOW}",
                {"spacing": spacing, "lead": lead, "name": self._name},
            )
            if row is not None:
                return ReservedTurn(float(row[0]), float(row[1]))
            await self._db.fetch_one(
                "INSERT INTO global_pace (name, next_turn) VALUES (:name, 0)"
                " ON CONFLICT (name) DO NOTHING RETURNING name",
                {"name": self._name},
            )

    async def next_turn_in(self) -> float:
        """Return how many seconds from now the next unreserved turn is (for the benches)."""
        row = await self._db.fetch_one(
            f"SELECT next_turn - {_NOW} FROM global_pace WHERE name = ?", (self._name,)
        )
        return 0.0 if row is None else float(row[0])
