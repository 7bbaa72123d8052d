"""A poison item (an article whose reading or sending fails every time) is failed with its
reason after a few attempts, shown by ``/feed why``, and its channel moves on, before or after
a restart (issue 13, finding 3 and the "Fetcher" bullet).

Before, an article whose reading raised stayed unread for good: its waiting post held every
later post of its channel, and 16 of them filled the reader's batch and stopped reading (so
posting) for every server, restart or not. A send that raised was given back untouched and
claimed again at once, for ever.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from xml.sax.saxutils import escape

import pytest

from bot.core.models import ArticleCard, UnreadArticle
from bot.pipeline.deliver import deliverer as deliverer_module
from bot.pipeline.deliver.cards import article_card
from bot.pipeline.deliver.deliverer import CRASHED_SEND, MAX_CRASHED_SENDS
from bot.pipeline.read import reader as reader_module
from bot.pipeline.read.attempts import MAX_READ_ATTEMPTS, STOPPED_WHILE_READING
from bot.pipeline.read.reader import ArticleReader
from bot.sandbox.fake_discord import Sandbox
from tests.e2e.conftest import FEED_PATH, BotStarter, poll_and_deliver
from tests.fixtures.bot_storage import bot_rows
from tests.fixtures.engines import on_both_engines
from tests.fixtures.http_servers import RouteServer
from tests.waiting import eventually

POISON = "Item poison"


def feed(*keys: str) -> bytes:
    items = "".join(
        f"<item><title>Item {key}</title><link>https://news.example/{escape(key)}</link>"
        f"<guid>{key}</guid><description>Text of {key}.</description></item>"
        for key in keys
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        f"<link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


def failing_for_poison(original: Callable[..., object]) -> Callable[..., object]:
    def wrapper(*args: object, **kwargs: object) -> object:
        unread = args[0]
        if isinstance(unread, UnreadArticle) and unread.article.title == POISON:
            raise RuntimeError("a bug that only this article meets")
        return original(*args, **kwargs)

    return wrapper


async def read_state(bot: object, title: str) -> tuple[int, str | None, str | None]:
    [row] = await bot_rows(
        bot,  # type: ignore[arg-type]
        "SELECT a.read_attempts, a.read_failure, o.failure FROM articles a"
        " LEFT JOIN outbox o ON o.article_id = a.id WHERE a.title = ?",
        (title,),
    )
    return int(row[0]), row[1], row[2]


@on_both_engines
async def test_an_article_whose_reading_always_fails_is_failed_and_its_channel_moves_on(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        reader_module, "reading_from", failing_for_poison(reader_module.reading_from)
    )
    feed_server.set_body(FEED_PATH, feed("old"))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, feed("after", "poison"))  # poison first, in its channel
        await poll_and_deliver(bot)
        why = await sandbox.run_command("/feed why url:https://news.example/poison")
        attempts, read_failure, post_failure = await read_state(bot, POISON)

    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == ["Item after"]
    assert attempts == MAX_READ_ATTEMPTS
    assert read_failure == post_failure
    assert post_failure == (
        f"Newsdesk could not read this article in {MAX_READ_ATTEMPTS} attempts "
        "(an internal error (logged)), so it gave up on it."
    )
    assert "Could not be posted in" in why.messages[-1].content
    assert post_failure in why.messages[-1].content


@on_both_engines
async def test_an_article_the_process_dies_reading_three_times_is_failed_after_restarts(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = ArticleReader._read

    async def never_ending_for_poison(self: ArticleReader, unread: UnreadArticle) -> None:
        if unread.article.title == POISON:
            await asyncio.Event().wait()  # the process will stop in the middle of this
        await read(self, unread)

    feed_server.set_body(FEED_PATH, feed("old"))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
    feed_server.set_body(FEED_PATH, feed("after", "poison"))
    give_back = ArticleReader.give_back_unfinished

    async def killed_outright(self: ArticleReader) -> int:
        """Stopping the bot while it reads the poison article stands for a process killed
        outright (kill -9, out of memory), which gives nothing back."""
        [(poison_id,)] = await bot_rows(bot, "SELECT id FROM articles WHERE title = ?", (POISON,))
        self._unfinished.discard(poison_id)
        return await give_back(self)

    with monkeypatch.context() as patch:
        patch.setattr(ArticleReader, "_read", never_ending_for_poison)
        patch.setattr(ArticleReader, "give_back_unfinished", killed_outright)
        for run in range(1, MAX_READ_ATTEMPTS + 1):
            async with start_bot() as bot:
                if run == 1:
                    await bot.services.poller.poll_all()
                bot.reader.wake()
                await eventually(
                    functools.partial(_attempts_reached, bot, run),
                    message=f"run {run} never began reading the poison article",
                )
    async with start_bot() as bot:  # the code that reads it is fine now: too late
        await eventually(
            lambda: len(sandbox.posts("news")) == 1, message="the channel never moved on"
        )
        attempts, _, post_failure = await read_state(bot, POISON)

    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == ["Item after"]
    assert attempts == MAX_READ_ATTEMPTS
    assert post_failure == (
        f"Newsdesk could not read this article in {MAX_READ_ATTEMPTS} attempts "
        f"({STOPPED_WHILE_READING}), so it gave up on it."
    )


async def _attempts_reached(bot: object, attempts: int) -> bool:
    return (await read_state(bot, POISON))[0] >= attempts


@on_both_engines
async def test_a_post_whose_sending_always_crashes_is_failed_and_its_channel_moves_on(
    sandbox: Sandbox, start_bot: BotStarter, feed_server: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crashing_for_poison(article: object, **options: object) -> ArticleCard:
        if getattr(article, "title", None) == POISON:
            raise RuntimeError("a bug that only this article's card meets")
        return article_card(article, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(deliverer_module, "article_card", crashing_for_poison)
    feed_server.set_body(FEED_PATH, feed("old"))
    async with start_bot() as bot:
        await sandbox.run_command(f"/feed add url:{feed_server.url(FEED_PATH)} channel:#news")
        feed_server.set_body(FEED_PATH, feed("after", "poison"))
        await poll_and_deliver(bot)
        why = await sandbox.run_command("/feed why url:https://news.example/poison")
        [row] = await bot_rows(
            bot,
            "SELECT o.state, o.failure, o.attempts FROM outbox o"
            " JOIN articles a ON a.id = o.article_id WHERE a.title = ?",
            (POISON,),
        )

    assert [post.embeds[0]["title"] for post in sandbox.posts("news")] == ["Item after"]
    assert (row[0], row[1], row[2]) == ("failed", CRASHED_SEND, MAX_CRASHED_SENDS)
    assert CRASHED_SEND in why.messages[-1].content
