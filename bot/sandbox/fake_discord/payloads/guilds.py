"""Guild, READY and application payload shapes."""

from __future__ import annotations

from bot.sandbox.fake_discord.payloads.base import (
    JOINED_AT,
    JSON,
    member_payload,
    role_payload,
    user_payload,
)
from bot.sandbox.fake_discord.payloads.channels import channel_payload, thread_payload
from bot.sandbox.fake_discord.world import GuildSpec, SandboxWorld


def guild_payload(guild: GuildSpec) -> JSON:
    """A guild object (as GET /guilds/{id} returns it)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": str(guild.channels[0].id) if guild.channels else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "roles": [role_payload(r) for r in guild.roles],
        "emojis": [],
        "stickers": [],
        "max_members": 500000,
        "max_video_channel_users": 25,
        "widget_enabled": False,
    }


def guild_create_payload(world: SandboxWorld, guild: GuildSpec) -> JSON:
    """The GUILD_CREATE dispatch body: guild + channels, members, threads, etc."""
    payload = guild_payload(guild)
    payload.update(
        {
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members),
            "joined_at": JOINED_AT,
            "channels": [channel_payload(guild, c) for c in guild.live_channels()],
            "threads": [thread_payload(guild, t) for t in guild.active_threads()],
            "members": [member_payload(world, guild, uid) for uid in guild.members],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
    )
    return payload


def ready_payload(
    world: SandboxWorld,
    session_id: str,
    resume_gateway_url: str,
    *,
    guilds: list[GuildSpec],
    shard: tuple[int, int] = (0, 1),
) -> JSON:
    """The READY dispatch body of one shard's session: its guilds start unavailable,
    GUILD_CREATEs follow."""
    bot = world.user(world.bot_user_id)
    assert bot is not None
    user = user_payload(bot) | {"verified": True, "mfa_enabled": False, "email": None}
    return {
        "v": 10,
        "user": user,
        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "shard": list(shard),
        "application": {"id": str(world.application_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
        "_trace": ["newsdesk-sandbox"],
    }


def application_payload(world: SandboxWorld) -> JSON:
    """The application (GET /oauth2/applications/@me); owner is the app owner user."""
    bot = world.user(world.bot_user_id)
    owner = world.user(world.app_owner_id)
    assert bot is not None and owner is not None
    return {
        "id": str(world.application_id),
        "name": bot.name,
        "icon": None,
        "description": "Newsdesk running against the local sandbox",
        "rpc_origins": [],
        "bot_public": False,
        "bot_require_code_grant": False,
        "bot": user_payload(bot),
        "owner": user_payload(owner),
        "team": None,
        "summary": "",
        "verify_key": "0" * 64,
        "flags": 0,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(world.guilds),
    }
