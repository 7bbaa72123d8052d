"""bot/pipeline/fetch."""
