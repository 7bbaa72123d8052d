"""cogs/shared."""
