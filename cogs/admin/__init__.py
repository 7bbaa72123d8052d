"""cogs/admin."""
