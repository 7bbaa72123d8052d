"""bot/pipeline."""
