"""bot/features/follows."""
