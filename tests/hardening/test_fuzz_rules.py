"""Fuzzing what admins type: templates and filter rules never raise anything but a sentence,
and a filter never takes long, whatever the pattern and the article."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import InvalidInput
from bot.core.models import FilterField, FilterRule, MatchKind
from bot.core.text import MESSAGE_LIMIT
from bot.pipeline.deliver.templates import TemplateValues, render_template, validate_template
from bot.pipeline.route.filters import ArticleFields, evaluate, validate_pattern

TEXT = st.text(max_size=300)
VALUES = TemplateValues(
    title="T {x}", url="https://a.example/{0}", summary="S }{", source="Src", author="A",
    published="<t:1:f>", original="",
)


@settings(max_examples=150, deadline=2000)
@given(template=st.text(max_size=400))
def test_templates_render_or_refuse_with_a_sentence(template: str) -> None:
    try:
        checked = validate_template(template)
    except InvalidInput as error:
        assert error.message.endswith(".")
        return
    assert len(render_template(checked, VALUES)) <= MESSAGE_LIMIT


@settings(max_examples=150, deadline=3000)
@given(
    kind=st.sampled_from(list(MatchKind)),
    pattern=st.text(max_size=60),
    title=TEXT,
    text=st.text(max_size=2000),
    action=st.sampled_from(["include", "exclude"]),
    mode=st.sampled_from(["all", "any"]),
)
def test_filter_rules_validate_and_evaluate_quickly(
    kind: MatchKind, pattern: str, title: str, text: str, action: str, mode: str
) -> None:
    try:
        checked = validate_pattern(kind, pattern)
    except InvalidInput:
        return
    rule = FilterRule(1, action, FilterField.ANY, kind, checked)
    started = time.monotonic()
    verdict = evaluate([rule], mode, ArticleFields(title, text, "", "source"))
    assert time.monotonic() - started < 1.0
    assert isinstance(verdict.passed, bool) and verdict.reason
