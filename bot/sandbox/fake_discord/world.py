"""The sandbox's stable world: guilds, channels, roles, users, and who may do what.

Rules:
- every id is a hard-coded (or, for extra guilds, name-derived) snowflake, so
  ids are identical across runs and a bot database outlives a sandbox run; extra
  guilds' ids differ in their timestamp bits (`id >> 22`), so guilds spread over
  gateway shards as real ones do;
- the world is plain data (frozen specs plus a few mutable maps for channel
  overwrites and deleted channels); payload shapes live in `payloads.py`;
- the first guild is the primary one: `guild_id`, `guild_name` and name
  lookups without `guild_id=` refer to it;
- an overwrite target name is a role name if such a role exists, else a user
  name; prefix `role:` or `user:` to be explicit (`admin` is both);
- the standard guild has text channels #general #news #world #tech and the
  forum channel #forum-news (type 15) with the tags "News" and "Analysis"
  (tags are not required unless a test sets the REQUIRE_TAG flag);
- threads are created at run time and kept per guild; they are found by id
  (never by name: thread names need not be unique), have no overwrites of
  their own (permissions are the parent channel's), and vanish with their
  parent; an archived thread (see `archived_thread_ids`) still exists but is
  not active, and `archive_timestamps` keeps when each thread was last archived or
  unarchived (epoch milliseconds, as precise as Discord's timestamps);
- a channel may carry an AutoMod keyword list (`automod_keywords`, by channel
  id; a thread uses its parent's);
- an admin can delete channels, roles (members lose them, overwrites for them
  go) and webhooks (kept by the sandbox state, not the world).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from bot.sandbox.fake_discord import permissions as perms
from bot.sandbox.fake_discord.permissions import Overwrite

EVERYONE_PERMISSIONS = (
    perms.CREATE_INSTANT_INVITE
    | perms.VIEW_CHANNEL
    | perms.SEND_MESSAGES
    | perms.READ_MESSAGE_HISTORY
    | perms.USE_APPLICATION_COMMANDS
    | perms.EMBED_LINKS
    | perms.ATTACH_FILES
    | perms.ADD_REACTIONS
    | perms.USE_EXTERNAL_EMOJIS
    | perms.CHANGE_NICKNAME
    | perms.SEND_MESSAGES_IN_THREADS
    | perms.CREATE_PUBLIC_THREADS
)
ADMIN_ROLE_PERMISSIONS = (
    perms.MANAGE_GUILD
    | perms.MANAGE_CHANNELS
    | perms.MANAGE_WEBHOOKS
    | perms.MANAGE_ROLES
    | perms.MENTION_EVERYONE
)
BOT_ROLE_PERMISSIONS = (
    perms.VIEW_CHANNEL
    | perms.SEND_MESSAGES
    | perms.EMBED_LINKS
    | perms.ATTACH_FILES
    | perms.READ_MESSAGE_HISTORY
    | perms.MANAGE_WEBHOOKS
    | perms.SEND_MESSAGES_IN_THREADS
    | perms.CREATE_PUBLIC_THREADS
)

APPLICATION_ID = 1350000000000000001
BOT_USER_ID = APPLICATION_ID
ADMIN_USER_ID = 1350000000000000002
MEMBER_USER_ID = 1350000000000000003
OWNER_USER_ID = 1350000000000000004
PRIMARY_GUILD_ID = 1350000000000000100
BOT_NAME = "Newsdesk"


@dataclass(frozen=True)
class UserSpec:
    """A Discord user known to the sandbox."""

    id: int
    name: str
    bot: bool = False


@dataclass(frozen=True)
class RoleSpec:
    """A guild role; `bot_id` marks the bot's managed role."""

    id: int
    name: str
    permissions: int
    position: int
    bot_id: int | None = None
    color: int = 0


TEXT_CHANNEL = 0
NEWS_CHANNEL = 5
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
FORUM_CHANNEL = 15
MEDIA_CHANNEL = 16
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})
FORUM_TYPES = frozenset({FORUM_CHANNEL, MEDIA_CHANNEL})


@dataclass(frozen=True)
class ForumTag:
    """A tag a forum offers its posts."""

    id: int
    name: str
    moderated: bool = False
    emoji_name: str | None = None


@dataclass(frozen=True)
class ChannelSpec:
    """A guild channel (type 0 = text, 15 = forum); a forum has tags and may require one."""

    id: int
    name: str
    position: int
    type: int = TEXT_CHANNEL
    topic: str | None = None
    flags: int = 0
    available_tags: tuple[ForumTag, ...] = ()

    @property
    def is_thread(self) -> bool:
        """True for thread channels (types 10, 11, 12)."""
        return self.type in THREAD_TYPES

    @property
    def is_forum(self) -> bool:
        """True for forum and media channels (types 15, 16)."""
        return self.type in FORUM_TYPES


@dataclass(frozen=True)
class ThreadSpec(ChannelSpec):
    """A thread: a channel under `parent_id`, started by `owner_id`."""

    parent_id: int = 0
    owner_id: int = 0
    auto_archive_duration: int = 1440
    starter_message_id: int | None = None
    applied_tags: tuple[int, ...] = ()


@dataclass
class GuildSpec:
    """A guild: its roles, channels, members (user id -> role ids) and channel state."""

    id: int
    name: str
    owner_id: int
    roles: list[RoleSpec]
    channels: list[ChannelSpec]
    members: dict[int, tuple[int, ...]]
    overwrites: dict[int, list[Overwrite]] = field(default_factory=dict)
    deleted_channel_ids: set[int] = field(default_factory=set)
    threads: list[ThreadSpec] = field(default_factory=list)
    archived_thread_ids: set[int] = field(default_factory=set)
    archive_timestamps: dict[int, int] = field(default_factory=dict)
    automod_keywords: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def live_channels(self) -> list[ChannelSpec]:
        """Channels (not threads) that have not been deleted."""
        return [c for c in self.channels if c.id not in self.deleted_channel_ids]

    def live_threads(self, parent_id: int | None = None) -> list[ThreadSpec]:
        """Threads whose parent still exists (optionally of one parent), oldest first."""
        return [
            t
            for t in self.threads
            if t.parent_id not in self.deleted_channel_ids
            and t.id not in self.deleted_channel_ids
            and (parent_id is None or t.parent_id == parent_id)
        ]

    def active_threads(self, parent_id: int | None = None) -> list[ThreadSpec]:
        """Live threads that are not archived, oldest first."""
        return [t for t in self.live_threads(parent_id) if t.id not in self.archived_thread_ids]

    def archived_threads(self, parent_id: int) -> list[ThreadSpec]:
        """Live archived threads of one parent, most recently archived first."""
        archived = [t for t in self.live_threads(parent_id) if t.id in self.archived_thread_ids]
        return sorted(archived, key=lambda t: self.archive_timestamps.get(t.id, 0), reverse=True)

    def role(self, role_id: int) -> RoleSpec | None:
        """The role with this id, if any."""
        return next((r for r in self.roles if r.id == role_id), None)

    def replace_channel(self, channel: ChannelSpec) -> None:
        """Put a changed channel spec (same id) in place of the old one."""
        self.channels = [channel if c.id == channel.id else c for c in self.channels]

    def delete_role(self, role_id: int) -> RoleSpec:
        """Remove a role: members lose it and channel overwrites for it go; KeyError if unknown."""
        role = self.role(role_id)
        if role is None or role_id == self.id:
            raise KeyError(f"no deletable role with id {role_id}")
        self.roles = [r for r in self.roles if r.id != role_id]
        self.members = {
            user: tuple(r for r in roles if r != role_id) for user, roles in self.members.items()
        }
        self.overwrites = {
            channel: [o for o in kept if (o.target_id, o.target_type) != (role_id, "role")]
            for channel, kept in self.overwrites.items()
        }
        return role

    def highest_position(self, user_id: int) -> int:
        """The position of a member's highest role (0, @everyone's, with none)."""
        positions = [r.position for r in self.roles if r.id in self.members.get(user_id, ())]
        return max(positions, default=0)

    def set_member_role(self, user_id: int, role_id: int, *, held: bool) -> None:
        """Give (``held``) or take a role from a member; doing it twice changes nothing."""
        kept = tuple(r for r in self.members[user_id] if r != role_id)
        self.members[user_id] = (*kept, role_id) if held else kept

    def replace_role(self, role: RoleSpec) -> None:
        """Put a changed role spec (same id) in place of the old one."""
        self.roles = [role if r.id == role.id else r for r in self.roles]

    def automod_keywords_for(self, channel: ChannelSpec) -> tuple[str, ...]:
        """The AutoMod keywords that apply to a channel (a thread's are its parent's)."""
        source = channel.parent_id if isinstance(channel, ThreadSpec) else channel.id
        return self.automod_keywords.get(source, ())


def _standard_guild(guild_id: int, name: str, owner_id: int) -> GuildSpec:
    """A guild with the standard channels and roles; ids are guild_id + small offsets."""
    roles = [
        RoleSpec(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0),
        RoleSpec(guild_id + 11, "admin", ADMIN_ROLE_PERMISSIONS, 4, color=0xE74C3C),
        RoleSpec(guild_id + 12, "asia-desk", 0, 2, color=0x3498DB),
        RoleSpec(guild_id + 13, "tech-desk", 0, 1, color=0x2ECC71),
        RoleSpec(guild_id + 14, BOT_NAME, BOT_ROLE_PERMISSIONS, 3, bot_id=BOT_USER_ID),
    ]
    channels = [
        ChannelSpec(guild_id + 1, "general", 0, topic="Talk to the desk"),
        ChannelSpec(guild_id + 2, "news", 1, topic="Top stories"),
        ChannelSpec(guild_id + 3, "world", 2, topic="World news"),
        ChannelSpec(guild_id + 4, "tech", 3, topic="Technology news"),
        ChannelSpec(
            guild_id + 5,
            "forum-news",
            4,
            FORUM_CHANNEL,
            "One post per article",
            available_tags=(ForumTag(guild_id + 21, "News"), ForumTag(guild_id + 22, "Analysis")),
        ),
    ]
    members = {
        ADMIN_USER_ID: (guild_id + 11,),
        MEMBER_USER_ID: (),
        OWNER_USER_ID: (),
        BOT_USER_ID: (guild_id + 14,),
    }
    return GuildSpec(guild_id, name, owner_id, roles, channels, members)


@dataclass
class SandboxWorld:
    """Every guild, user and id the sandbox knows, with name <-> id lookups."""

    guilds: list[GuildSpec]
    users: list[UserSpec]
    application_id: int = APPLICATION_ID
    bot_user_id: int = BOT_USER_ID
    # The bot's owner is the guild's owner, as for most self-hosted bots: /sync (shown only to
    # administrators) then works for `owner`, not for `admin` (Manage Server only).
    app_owner_id: int = OWNER_USER_ID
    # Lookups by id run on every request; with a thousand guilds a scan per request was a
    # quarter of the soak's sandbox CPU. The lists stay the truth (callers append to them):
    # an entry is checked on use and the maps are refilled on a miss.
    _guilds_by_id: dict[int, GuildSpec] = field(default_factory=dict, repr=False, compare=False)
    _channels_by_id: dict[int, tuple[GuildSpec, ChannelSpec]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _users_by_id: dict[int, UserSpec] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def default(cls) -> SandboxWorld:
        """The standard world: one guild "Newsdesk Sandbox", users admin/member/owner + bot."""
        users = [
            UserSpec(BOT_USER_ID, BOT_NAME, bot=True),
            UserSpec(ADMIN_USER_ID, "admin"),
            UserSpec(MEMBER_USER_ID, "member"),
            UserSpec(OWNER_USER_ID, "owner"),
        ]
        guild = _standard_guild(PRIMARY_GUILD_ID, "Newsdesk Sandbox", OWNER_USER_ID)
        return cls(guilds=[guild], users=users)

    def add_guild(self, name: str) -> GuildSpec:
        """Add a standard guild whose ids derive from its name (stable across runs)."""
        digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:5], "big")
        guild_id = 1360000000000000000 + (digest % 10**12) * 1000
        if any(g.id == guild_id or g.name == name for g in self.guilds):
            raise ValueError(f"guild {name!r} already exists")
        guild = _standard_guild(guild_id, name, OWNER_USER_ID)
        self.guilds.append(guild)
        return guild

    @property
    def primary(self) -> GuildSpec:
        """The first guild."""
        return self.guilds[0]

    @property
    def guild_id(self) -> int:
        """The primary guild's id."""
        return self.primary.id

    @property
    def guild_name(self) -> str:
        """The primary guild's name."""
        return self.primary.name

    def guild(self, guild_id: int) -> GuildSpec | None:
        """The guild with this id, if any."""
        guild = self._guilds_by_id.get(guild_id)
        if guild is None or guild.id != guild_id:
            self._guilds_by_id = {g.id: g for g in self.guilds}
            guild = self._guilds_by_id.get(guild_id)
        return guild

    def guild_named(self, name: str) -> GuildSpec:
        """The guild with this name; KeyError if none."""
        for guild in self.guilds:
            if guild.name == name:
                return guild
        raise KeyError(f"no guild named {name!r}")

    def _guild_or_primary(self, guild_id: int | None) -> GuildSpec:
        guild = self.primary if guild_id is None else self.guild(guild_id)
        if guild is None:
            raise KeyError(f"no guild with id {guild_id}")
        return guild

    def channel_id(self, name: str, *, guild_id: int | None = None) -> int:
        """Id of the channel `name` (a leading '#' is ignored); KeyError if unknown."""
        bare = name.removeprefix("#")
        for channel in self._guild_or_primary(guild_id).channels:
            if channel.name == bare:
                return channel.id
        raise KeyError(f"no channel named #{bare}")

    def find_channel(self, channel_id: int) -> tuple[GuildSpec, ChannelSpec] | None:
        """The guild and channel (or thread) with this id, including deleted ones."""
        cached = self._channels_by_id.get(channel_id)
        if cached is not None:
            guild, channel = cached
            if channel.id == channel_id and any(
                known is channel for known in (*guild.channels, *guild.threads)
            ):
                return cached
        for guild in self.guilds:
            for channel in [*guild.channels, *guild.threads]:
                if channel.id == channel_id:
                    self._channels_by_id[channel_id] = (guild, channel)
                    return guild, channel
        return None

    def live_channel(self, channel_id: int) -> tuple[GuildSpec, ChannelSpec] | None:
        """Like find_channel but None once the channel (or a thread's parent) was deleted."""
        found = self.find_channel(channel_id)
        if found is None or channel_id in found[0].deleted_channel_ids:
            return None
        channel = found[1]
        if isinstance(channel, ThreadSpec) and channel.parent_id in found[0].deleted_channel_ids:
            return None
        return found

    def add_thread(
        self,
        guild: GuildSpec,
        parent: ChannelSpec,
        *,
        thread_id: int,
        name: str,
        owner_id: int,
        thread_type: int = PUBLIC_THREAD,
        auto_archive_duration: int = 1440,
        starter_message_id: int | None = None,
        applied_tags: tuple[int, ...] = (),
    ) -> ThreadSpec:
        """Create a thread under `parent` and keep it in the guild."""
        thread = ThreadSpec(
            thread_id,
            name,
            0,
            thread_type,
            None,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=auto_archive_duration,
            starter_message_id=starter_message_id,
            applied_tags=applied_tags,
        )
        guild.threads.append(thread)
        return thread

    def channel_name(self, channel_id: int) -> str:
        """Name of the channel with this id; KeyError if unknown."""
        found = self.find_channel(channel_id)
        if found is None:
            raise KeyError(f"no channel with id {channel_id}")
        return found[1].name

    def role_id(self, name: str, *, guild_id: int | None = None) -> int:
        """Id of the role `name` ('@everyone' is the guild id); KeyError if unknown."""
        guild = self._guild_or_primary(guild_id)
        bare = name if name == "@everyone" else name.removeprefix("@")
        for role in guild.roles:
            if role.name == bare:
                return role.id
        raise KeyError(f"no role named @{bare}")

    def role_name(self, role_id: int) -> str:
        """Name of the role with this id; KeyError if unknown."""
        for guild in self.guilds:
            role = guild.role(role_id)
            if role is not None:
                return role.name
        raise KeyError(f"no role with id {role_id}")

    def user_id(self, name: str) -> int:
        """Id of the user `name` (a leading '@' is ignored); KeyError if unknown."""
        bare = name.removeprefix("@")
        for user in self.users:
            if user.name == bare:
                return user.id
        raise KeyError(f"no user named @{bare}")

    def user(self, user_id: int) -> UserSpec | None:
        """The user with this id, if any."""
        user = self._users_by_id.get(user_id)
        if user is None or user.id != user_id:
            self._users_by_id = {u.id: u for u in self.users}
            user = self._users_by_id.get(user_id)
        return user

    def user_name(self, user_id: int) -> str:
        """Name of the user with this id; KeyError if unknown."""
        user = self.user(user_id)
        if user is None:
            raise KeyError(f"no user with id {user_id}")
        return user.name

    def overwrite_target(self, guild: GuildSpec, target_name: str) -> tuple[int, str]:
        """Resolve an overwrite target name to (id, 'role' | 'member')."""
        if target_name.startswith("user:"):
            return self.user_id(target_name.removeprefix("user:")), "member"
        bare = target_name.removeprefix("role:")
        try:
            return self.role_id(bare, guild_id=guild.id), "role"
        except KeyError:
            if target_name.startswith("role:"):
                raise
        return self.user_id(bare), "member"

    def base_permissions(self, guild: GuildSpec, user_id: int) -> int:
        """Guild-wide permissions of a member."""
        role_ids = guild.members.get(user_id, ())
        everyone = guild.role(guild.id)
        return perms.compute_base_permissions(
            everyone_permissions=everyone.permissions if everyone else 0,
            role_permissions=[r.permissions for r in guild.roles if r.id in role_ids],
            is_owner=user_id == guild.owner_id,
        )

    def channel_permissions(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a channel or thread (0 if either is unknown)."""
        found = self.live_channel(channel_id)
        if found is None:
            return 0
        guild, channel = found
        if user_id not in guild.members:
            return 0
        source_id = channel.parent_id if isinstance(channel, ThreadSpec) else channel_id
        return perms.apply_channel_overwrites(
            self.base_permissions(guild, user_id),
            guild_id=guild.id,
            member_id=user_id,
            member_role_ids=guild.members[user_id],
            overwrites=guild.overwrites.get(source_id, []),
        )
