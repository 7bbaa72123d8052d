"""bot/pipeline/deliver."""
