"""bot/pipeline/poll."""
