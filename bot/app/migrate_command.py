"""``newsdesk migrate --to postgresql://…``: move an install from its SQLite file to PostgreSQL.

The copy itself (and its rules) is ``storage.transfer``; this module says what happened in
sentences an operator can act on.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.core.errors import UserError
from storage.database import is_postgres_address, printable
from storage.transfer import CopyRefused, copy_sqlite_to_postgres

_REFUSALS = {
    "missing": "There is no SQLite database at {source}: give its path with --from (or "
               "NEWSDESK_DB).",
    "in use": "{source} is in use (is the bot running?). Stop every Newsdesk that uses it, "
              "then migrate.",
    "version": "The file and this Newsdesk are at different schema versions ({detail}): run "
               "this Newsdesk on the file once (then stop it), and migrate again.",
    "not empty": "The PostgreSQL database at {target} already holds Newsdesk data (table "
                 "{detail}): migrate into an empty database.",
    "unknown table": "{source} holds tables this Newsdesk does not know ({detail}): it was "
                     "written by another version; nothing was copied.",
    "counts differ": "The copy did not arrive whole ({detail}); nothing was kept in "
                     "PostgreSQL. Try again, and report it if it repeats.",
}


def run_migrate(source: Path, target: str) -> int:
    """Copy ``source`` into the PostgreSQL database at ``target``; print what happened and
    return the exit status."""
    if not is_postgres_address(target):
        sys.stderr.write(f"--to must be a postgresql:// address, not {target!r}.\n")
        return 2

    def tell(table: str, rows: int) -> None:
        sys.stdout.write(f"  {table}: {rows:,} row{'' if rows == 1 else 's'}\n")
        sys.stdout.flush()

    sys.stdout.write(f"Copying {source} into {printable(target)}…\n")
    try:
        report = asyncio.run(copy_sqlite_to_postgres(source, target, progress=tell))
    except CopyRefused as refused:
        sentence = _REFUSALS[refused.reason].format(
            source=source, target=printable(target), detail=refused.detail
        )
        sys.stderr.write(sentence + "\n")
        return 1
    except UserError as error:
        sys.stderr.write(error.message + "\n")
        return 1
    sys.stdout.write(
        f"Done in {report.seconds:.1f} s: {sum(report.rows.values()):,} rows, every id and "
        f"the nonce prefix ({report.nonce_prefix}) kept. Set NEWSDESK_DB={printable(target)} "
        "and start the bot; keep the SQLite file until you are happy.\n"
    )
    return 0
