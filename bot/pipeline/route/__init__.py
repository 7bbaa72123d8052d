"""bot/pipeline/route."""
