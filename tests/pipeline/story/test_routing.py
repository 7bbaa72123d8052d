"""The story desk's routing rules: what filters look at, and which waiting posts they hold back."""

from __future__ import annotations

from bot.core.models import ArticleDetails, ArticleReading, FilterField, FilterRule, MatchKind
from bot.pipeline.route.filters import ArticleFields
from bot.pipeline.story.desk import held_back_by_filters, routing_fields


def reading(*, text: str = "", summary: str = "", author: str | None = None) -> ArticleReading:
    return ArticleReading(
        title="Council agrees harbour budget", summary=summary, author=author,
        published_at=None, image_url=None, original_url=None, original_url_key=None,
        original_publisher=None, fingerprint=None, details=ArticleDetails(), text=text,
    )


def rule(
    rule_id: int, action: str, pattern: str, field: FilterField = FilterField.ANY
) -> FilterRule:
    return FilterRule(rule_id, action, field, MatchKind.WORD, pattern)


FIELDS = ArticleFields(
    title="Council agrees harbour budget", text="The vote was close.", author="Ana Lima",
    source="Harbour Times",
)


def test_filters_read_the_page_text_else_the_summary_and_the_feed_as_source() -> None:
    read = routing_fields(reading(text="Page text.", summary="Feed summary.", author="Ana"), "Wire")
    assert read == ArticleFields(
        title="Council agrees harbour budget", text="Page text.", author="Ana", source="Wire",
    )
    unread_page = routing_fields(reading(summary="Feed summary."), "Wire")
    assert (unread_page.text, unread_page.author) == ("Feed summary.", "")


def test_posts_without_a_subscription_or_without_rules_are_never_held_back() -> None:
    waiting = [(11, None), (12, 5)]  # a follow's post; a subscription without rules
    assert held_back_by_filters(waiting, {}, FIELDS) == {}
    assert held_back_by_filters(waiting, {6: ("all", [rule(1, "exclude", "vote")])}, FIELDS) == {}


def test_each_subscription_decides_its_own_post_and_says_why() -> None:
    waiting = [(11, 5), (12, 6), (13, 7), (14, 8)]
    rules = {
        5: ("all", [rule(1, "exclude", "budget", FilterField.TITLE)]),
        6: ("all", [rule(2, "include", "harbour"), rule(3, "include", "ferry")]),
        7: ("any", [rule(4, "include", "harbour"), rule(5, "include", "ferry")]),
        8: ("any", [rule(6, "include", "Lima", FilterField.AUTHOR)]),
    }
    assert held_back_by_filters(waiting, rules, FIELDS) == {
        11: 'excluded by exclude title word "budget"',
        12: 'not included: include any word "ferry" does not match',
    }


def test_an_exclude_rule_on_another_field_lets_the_post_through() -> None:
    rules = {5: ("all", [rule(1, "exclude", "budget", FilterField.AUTHOR)])}
    assert held_back_by_filters([(11, 5)], rules, FIELDS) == {}


def test_two_posts_of_one_subscription_get_the_same_verdict() -> None:
    rules = {5: ("any", [rule(1, "include", "ferry")])}
    assert held_back_by_filters([(11, 5), (12, 5)], rules, FIELDS) == {
        11: "matches none of the include rules",
        12: "matches none of the include rules",
    }
