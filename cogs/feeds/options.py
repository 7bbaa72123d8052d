"""``/feed`` commands that change one subscription: interval, enable, copies, template, ping.

A mixin of ``cogs.feeds.commands.FeedCommands`` (discord.py collects a group's commands from its
bases), kept apart so each module stays readable.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.text import plural
from bot.discord_io import markup
from bot.discord_io.channel_webhooks import make_webhook, webhook_exists
from bot.discord_io.client import NewsdeskGateway
from bot.discord_io.embeds import post_embed
from bot.features.feeds.replies import (
    describe_enabled,
    describe_interval,
    describe_paused,
    describe_resumed,
    shown_title,
)
from bot.features.notify import describe_button_setting
from bot.pipeline.deliver.cards import EMBED_STYLES, shown_colour
from bot.pipeline.deliver.templates import PLACEHOLDERS
from cogs.feeds.subscription_choices import subscription_choices
from cogs.feeds.template_tools import TemplateToolsView
from cogs.follows import check_pingable
from cogs.notify import role_access
from cogs.shared.replies import (
    defer_update,
    reply,
    reply_privately,
    think_privately,
    update_message,
)
from cogs.shared.views import InvokerView

PREVIEW_TIMEOUT_SECONDS = 300


class SaveTemplateView(InvokerView):
    """Save or discard a previewed template; only the admin who asked may press."""

    refusal = "Only the person who ran /feed template can save it."
    context = "view=template-preview"
    required_permission = "manage_guild"

    def __init__(
        self, bot: NewsdeskGateway, invoker_id: int, guild_id: int, subscription: int, template: str
    ) -> None:
        super().__init__(invoker_id, timeout=PREVIEW_TIMEOUT_SECONDS)
        self.bot, self.guild_id = bot, guild_id
        self.subscription, self.template = subscription, template

    @discord.ui.button(label="Save", style=discord.ButtonStyle.success)
    async def save(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[SaveTemplateView]
    ) -> None:
        """Store the template on the subscription."""
        await defer_update(interaction)
        await self.bot.services.subscriptions.set_template(
            self.guild_id, self.subscription, self.template
        )
        self.stop()
        await update_message(
            interaction, f"Saved the template of subscription #{self.subscription}.", view=None,
            embeds=[],
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[SaveTemplateView]
    ) -> None:
        """Discard the previewed template."""
        self.stop()
        await update_message(
            interaction, "Template discarded; nothing changed.", view=None, embeds=[]
        )


class FeedOptionCommands(commands.Cog):
    """Per-subscription options of ``/feed`` (interval, enable, copies, template, ping, webhook)."""

    bot: NewsdeskGateway

    @app_commands.command(name="interval")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        minutes="How often to check the feed (2-1440); leave out to go back to the default",
    )
    async def interval(
        self,
        interaction: discord.Interaction[Any],
        subscription: app_commands.Range[int, 1],
        minutes: app_commands.Range[int, 2, 1440] | None = None,
    ) -> None:
        """Choose how often a feed is checked for this server."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        summary, effective, asked_by = await self.bot.services.subscriptions.set_interval(
            interaction.guild_id, subscription, minutes
        )
        await self.bot.feeds_changed()  # a shorter interval may make the feed due now
        await reply_privately(interaction, describe_interval(summary, minutes, effective, asked_by))

    @app_commands.command(name="enable")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def enable(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1]
    ) -> None:
        """Resume posting a subscription that Newsdesk had to stop."""
        assert interaction.guild_id is not None and interaction.guild is not None
        await think_privately(interaction)
        service = self.bot.services.subscriptions
        hook = await service.webhook_of_subscription(interaction.guild_id, subscription)
        if hook is not None and not await webhook_exists(self.bot, hook):
            # An admin deleted the webhook: a new one, or the subscription would stay broken.
            summary = await service.get(interaction.guild_id, subscription)
            channel = interaction.guild.get_channel(summary.subscription.channel_id)
            await service.use_webhook(
                interaction.guild_id, subscription, await make_webhook(channel)
            )
        summary, was_stopped = await service.enable(interaction.guild_id, subscription)
        if was_stopped:
            await self.bot.feeds_changed()
        await reply_privately(interaction, describe_enabled(summary, was_stopped))

    @app_commands.command(name="pause")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def pause(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1]
    ) -> None:
        """Stop posting a subscription's new articles until /feed resume."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        summary, paused = await self.bot.services.subscriptions.pause(
            interaction.guild_id, subscription
        )
        await reply_privately(interaction, describe_paused(summary, paused))

    @app_commands.command(name="resume")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(subscription="The subscription's number, as shown by /feed list")
    async def resume(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1]
    ) -> None:
        """Post a paused subscription's new articles again (not what it published meanwhile)."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        summary, resumed = await self.bot.services.subscriptions.resume(
            interaction.guild_id, subscription
        )
        if resumed:
            await self.bot.feeds_changed()
        await reply_privately(interaction, describe_resumed(summary, resumed))

    @app_commands.command(name="copies")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        post="Post copies of stories already posted in the channel (default: no)",
    )
    async def copies(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1],
        post: bool,
    ) -> None:
        """Choose whether this feed posts stories the channel already has from another source."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        summary = await self.bot.services.subscriptions.set_post_copies(
            interaction.guild_id, subscription, post
        )
        what = "posts every copy" if post else "adds copies to the story's post instead"
        where = markup.channel(summary.subscription.channel_id)
        title = shown_title(summary.feed_title)
        await reply_privately(interaction, f"**{title}** in {where} now {what}.")

    @app_commands.command(name="maxage")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        days="Skip items published more than this many days before they appear (0: no limit)",
    )
    async def maxage(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1],
        days: app_commands.Range[int, 0, 3650],
    ) -> None:
        """Choose how old an article may be and still be posted (default 3 days; 0: any age)."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        summary = await self.bot.services.subscriptions.set_max_age(
            interaction.guild_id, subscription, days
        )
        what = (
            "posts new items whatever their publication date" if days == 0 else
            f"skips items published more than {plural(days, 'day')} before they appear in "
            "the feed"
        )
        await reply_privately(
            interaction, f"Subscription #{summary.subscription.id} "
            f"(**{shown_title(summary.feed_title)}**) now {what}.",
        )

    @app_commands.command(name="template")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        template="Text above each post, e.g. 📰 {title} — {source}; leave out to see the current",
        clear="Remove the template",
    )
    async def template(
        self,
        interaction: discord.Interaction[Any],
        subscription: app_commands.Range[int, 1],
        template: app_commands.Range[str, 1, 1000] | None = None,
        clear: bool = False,
    ) -> None:
        """Preview and save the text shown above a subscription's posts."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        service = self.bot.services.subscriptions
        if clear:
            await service.set_template(interaction.guild_id, subscription, None)
            await reply_privately(interaction, f"Subscription #{subscription} has no template now.")
            return
        if template is None:
            current = await service.template_of(interaction.guild_id, subscription)
            names = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
            shown = f"`{current}`" if current else "none (posts show the embed only)"
            tools = TemplateToolsView(
                self.bot, interaction.user.id, interaction.guild_id, subscription,
                self._show_preview,
            )
            await reply(
                interaction, f"Template of subscription #{subscription}: {shown}. "
                f"Placeholders: {names}; [[by {{author}}]] shows only when all inside have a "
                "value; {summary} takes the summary out of the embed. Pick a ready template "
                "below, or send a test post of the latest article.",
                view=tools,
            )
            return
        await self._show_preview(interaction, subscription, template)

    async def _show_preview(
        self, interaction: discord.Interaction[Any], subscription: int, template: str
    ) -> None:
        """Answer with the post ``template`` makes of the latest article, to Save or Cancel."""
        assert interaction.guild_id is not None
        service = self.bot.services.subscriptions
        preview = await service.preview_template(interaction.guild_id, subscription, template)
        assert preview.template is not None
        view = SaveTemplateView(
            self.bot, interaction.user.id, interaction.guild_id, subscription, preview.template
        )
        heading = f"**Preview** (press Save to use it for #{subscription}):"
        embed = post_embed(preview.card)
        await reply(
            interaction, preview.content(heading), view=view,
            embeds=[embed] if embed is not None else [],
        )

    @app_commands.command(name="embed")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        style="full (default), compact (the linked title alone) or off (text only)",
        colour="The embed's bar colour as six hex digits, e.g. #e67e22; default for Newsdesk's",
    )
    @app_commands.choices(
        style=[app_commands.Choice(name=name, value=name) for name in EMBED_STYLES]
    )
    async def embed(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1],
        style: str | None = None, colour: app_commands.Range[str, 1, 16] | None = None,
    ) -> None:
        """Choose how a subscription's posts show their article: embed style and colour."""
        assert interaction.guild_id is not None
        await think_privately(interaction)
        summary, new_style, new_colour = await self.bot.services.subscriptions.set_embed(
            interaction.guild_id, subscription, style, colour
        )
        how = {
            "full": "a full embed",
            "compact": "a compact embed (the linked title alone)",
            "off": "no embed (its template, else the title and link, as text)",
        }[new_style]
        tint = f", coloured {shown_colour(new_colour)}" if new_style != "off" else ""
        changed = "now shows" if style is not None or colour is not None else "shows"
        await reply_privately(
            interaction, f"Subscription #{summary.subscription.id} "
            f"(**{shown_title(summary.feed_title)}**) {changed} {how}{tint}. "
            "Preview it with /feed template.",
        )

    @app_commands.command(name="ping")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        role="The role to ping for every post of this subscription",
        clear="Stop pinging",
        notify_button=(
            "Put a Notify me button under posts: members click it to take or drop the role "
            "(needs Manage Roles)"
        ),
    )
    async def ping(
        self,
        interaction: discord.Interaction[Any],
        subscription: app_commands.Range[int, 1],
        role: discord.Role | None = None,
        clear: bool = False,
        notify_button: bool | None = None,
    ) -> None:
        """Ping a role for every post of a subscription (or stop); offer it to members."""
        assert interaction.guild_id is not None and interaction.guild is not None
        if role is None and not clear and notify_button is None:
            await reply_privately(
                interaction, "Choose a role to ping, clear:true to stop, or notify_button: "
                "to offer the role under posts.",
            )
            return
        if role is not None:
            check_pingable(role, "subscription")
        await think_privately(interaction)
        service = self.bot.services.subscriptions
        new_role: int | object | None = None if clear else role.id if role else ...
        summary = await service.set_ping_role(
            interaction.guild_id, subscription, new_role, notify_button=notify_button
        )
        pinged, offered = await self.bot.services.notify.subscription_ping(
            interaction.guild_id, subscription
        )
        title = shown_title(summary.feed_title)
        if pinged is None:
            what = f"Subscription #{summary.subscription.id} pings no role for **{title}**."
        else:
            what = (
                f"Subscription #{summary.subscription.id} pings {markup.role(pinged)} for "
                f"each post of **{title}**."
            )
        pinged_role = interaction.guild.get_role(pinged) if pinged is not None else None
        access = role_access(pinged_role) if pinged_role is not None else None
        note = describe_button_setting(pinged, offered, access)
        if notify_button is False:
            note = "Posts carry no **Notify me** button."
        await reply_privately(interaction, f"{what} {note}".strip())

    @app_commands.command(name="webhook")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        subscription="The subscription's number, as shown by /feed list",
        enabled="Post under the source's name and icon through a webhook (needs Manage Webhooks)",
    )
    async def webhook(
        self, interaction: discord.Interaction[Any], subscription: app_commands.Range[int, 1],
        enabled: bool,
    ) -> None:
        """Post a subscription under its source's name and icon, or as Newsdesk again."""
        assert interaction.guild_id is not None and interaction.guild is not None
        await think_privately(interaction)
        service = self.bot.services.subscriptions
        summary = await service.get(interaction.guild_id, subscription)
        hook: tuple[int, str] | None = None
        if enabled:
            channel_id = summary.subscription.channel_id
            hook = await service.webhook_of_channel(interaction.guild_id, channel_id)
            if hook is None or not await webhook_exists(self.bot, hook):
                hook = await make_webhook(interaction.guild.get_channel(channel_id))
        await service.use_webhook(interaction.guild_id, subscription, hook)
        how = "under its source's name and icon" if enabled else "as Newsdesk"
        where = f"{markup.channel(summary.subscription.channel_id)}"
        title = shown_title(summary.feed_title)
        await reply_privately(interaction, f"**{title}** now posts in {where} {how}.")

    @webhook.autocomplete("subscription")
    @interval.autocomplete("subscription")
    @enable.autocomplete("subscription")
    @pause.autocomplete("subscription")
    @resume.autocomplete("subscription")
    @copies.autocomplete("subscription")
    @maxage.autocomplete("subscription")
    @template.autocomplete("subscription")
    @embed.autocomplete("subscription")
    @ping.autocomplete("subscription")
    async def setting_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer this server's subscriptions."""
        return await subscription_choices(self.bot, interaction, current)
