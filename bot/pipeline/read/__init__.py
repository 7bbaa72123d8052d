"""bot/pipeline/read."""
