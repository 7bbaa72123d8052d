"""cogs/backend."""
