"""bot/features/feeds."""
