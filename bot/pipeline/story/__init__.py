"""bot/pipeline/story."""
