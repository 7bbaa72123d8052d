"""Settings read from the environment: unset variables keep the dataclass's own defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.settings import Settings
from bot.core.errors import InvalidInput


def test_an_empty_environment_gives_the_dataclass_defaults(tmp_path: Path) -> None:
    """Every default is written once: what ``Settings()`` holds is what nothing set gives."""
    read = Settings.from_environment({}, dotenv_path=tmp_path / "absent.env")
    assert read == Settings()


def test_variables_override_the_defaults(tmp_path: Path) -> None:
    """Each variable that is set replaces its field's default, and only that field."""
    read = Settings.from_environment(
        {
            "NEWSDESK_POLL_INTERVAL": "900",
            "NEWSDESK_SCHEDULER_TICK": "5",
            "NEWSDESK_LOG_LEVEL": "debug",
            "NEWSDESK_DB": str(tmp_path / "news.sqlite3"),
        },
        dotenv_path=tmp_path / "absent.env",
    )
    assert read.default_interval_seconds == 900
    assert read.scheduler_tick_seconds == 5.0
    assert read.log_level == "DEBUG"
    assert read.database_path == tmp_path / "news.sqlite3"
    assert read.min_interval_seconds == Settings().min_interval_seconds


def test_the_polling_variables_set_claims_leases_and_the_fetch_timeout(tmp_path: Path) -> None:
    read = Settings.from_environment(
        {
            "NEWSDESK_POLL_BATCH": "250",
            "NEWSDESK_POLL_LEASE": "300",
            "NEWSDESK_POLL_BUCKET_LEASE": "45",
            "NEWSDESK_FETCH_TIMEOUT": "20",
        },
        dotenv_path=tmp_path / "absent.env",
    )
    assert (read.poll_batch, read.poll_lease_seconds, read.poll_bucket_lease_seconds) == (
        250, 300.0, 45.0
    )
    assert read.fetch_timeout_seconds == 20.0
    with pytest.raises(InvalidInput, match="NEWSDESK_POLL_LEASE must be at least 10"):
        Settings.from_environment(
            {"NEWSDESK_POLL_LEASE": "5"}, dotenv_path=tmp_path / "absent.env"
        )


def test_a_value_below_its_minimum_is_refused(tmp_path: Path) -> None:
    """The refusal names the variable and its minimum."""
    with pytest.raises(InvalidInput, match="NEWSDESK_POLL_INTERVAL must be at least 60"):
        Settings.from_environment(
            {"NEWSDESK_POLL_INTERVAL": "30"}, dotenv_path=tmp_path / "absent.env"
        )


def test_a_postgresql_address_chooses_postgresql_and_stays_out_of_the_repr(
    tmp_path: Path,
) -> None:
    address = "postgresql://newsdesk:s3cret@db.example:5432/newsdesk"
    read = Settings.from_environment({"NEWSDESK_DB": address}, dotenv_path=tmp_path / "absent")
    on_file = Settings.from_environment(
        {"NEWSDESK_DB": str(tmp_path / "news.sqlite3")}, dotenv_path=tmp_path / "absent"
    )

    assert read.database == address and read.database_path == Settings().database_path
    assert "s3cret" not in repr(read)
    assert on_file.database == tmp_path / "news.sqlite3" and on_file.database_url is None
