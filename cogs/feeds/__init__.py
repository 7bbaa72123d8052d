"""cogs/feeds."""
