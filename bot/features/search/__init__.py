"""bot/features/search."""
