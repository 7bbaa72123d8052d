"""Which tag a forum post carries: chosen, else named like the feed, else the first usable."""

from __future__ import annotations

from bot.pipeline.deliver.forum_tags import ForumTag, choose_forum_tag, find_tag

NEWS, ANALYSIS = ForumTag(1, "News"), ForumTag(2, "Example  NEWS")
STAFF = ForumTag(3, "Staff", moderated=True)


def test_the_chosen_tag_while_the_forum_has_it() -> None:
    chosen = choose_forum_tag(
        [NEWS, ANALYSIS], chosen_id=2, feed_title="Other", may_moderate=False
    )
    assert chosen == ANALYSIS


def test_a_deleted_choice_falls_back_to_the_tag_named_like_the_feed_then_the_first() -> None:
    tags = [NEWS, ANALYSIS]
    assert choose_forum_tag(tags, chosen_id=99, feed_title="example news", may_moderate=False) == (
        ANALYSIS
    )
    assert choose_forum_tag(tags, chosen_id=None, feed_title="Wire", may_moderate=False) == NEWS
    assert choose_forum_tag([], chosen_id=None, feed_title="Wire", may_moderate=False) is None


def test_a_moderated_tag_only_with_manage_threads() -> None:
    assert choose_forum_tag([STAFF], chosen_id=3, feed_title="x", may_moderate=False) is None
    assert choose_forum_tag([STAFF, NEWS], chosen_id=3, feed_title="x", may_moderate=False) == NEWS
    assert choose_forum_tag([STAFF], chosen_id=3, feed_title="x", may_moderate=True) == STAFF


def test_names_match_without_case_or_extra_spaces() -> None:
    assert find_tag([NEWS, ANALYSIS], " example news ") == ANALYSIS
    assert find_tag([NEWS], "Sport") is None
