"""bot/discord_io."""
