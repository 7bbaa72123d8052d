"""Fail loudly if a discord.py upgrade moves what the sandbox patches."""

from __future__ import annotations

import discord
import discord.gateway
import discord.http
import yarl

from bot.sandbox.fake_discord import Sandbox


def test_discord_minor_version_is_pinned() -> None:
    assert discord.__version__.startswith("2.7"), discord.__version__


def test_patch_points_exist_with_expected_types() -> None:
    assert isinstance(discord.http.Route.BASE, str)
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)


async def test_patch_discord_sets_and_restores(sandbox: Sandbox) -> None:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    with sandbox.patch_discord():
        assert sandbox.api_base == discord.http.Route.BASE
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == sandbox.gateway_url
        assert sandbox.api_base.startswith("http://127.0.0.1:")
    assert base == discord.http.Route.BASE
    assert gateway == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
