"""Every limit Discord documents for what a bot sends, checked by hand, with Discord's answers.

The OpenAPI schema check (`openapi_check.py`, on in the tests) catches types and plain lengths;
these rules hold without it and cover what a schema cannot say. Sources: Discord's developer
documentation (messages, embeds, components, webhooks, threads, application commands) as
summarised in `../shared/data/discord-api-spec/README.md`.

Rules (Discord API v10):
- message: content <= 2000; <= 10 embeds; nonce an integer or a string <= 25; an
  `allowed_mentions` whose `parse` holds "users" ("roles") may not also list `users`
  (`roles`);
- embed: title 256, description 4096, <= 25 fields whose name (<= 256) and value
  (<= 1024) are both non-empty, footer text 2048, author name 256; all embeds of a
  message together <= 6000 characters; `url` and `author.url` http(s) only, image,
  thumbnail and icon URLs http(s) or `attachment://`;
- components (messages without the components-v2 flag): <= 5 action rows; a row holds
  1-5 buttons, or exactly one select; every `custom_id` 1-100, button label <= 80,
  select options 1-25, option label and value 1-100, placeholder <= 150;
- webhook names (creation `name`, execution `username`) are 1-80 characters and never
  contain "clyde" or "discord" in any case;
- forum post: thread name 1-100; `applied_tags` required when the forum has the
  REQUIRE_TAG flag (code 40067);
- application commands at sync: names match `^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`
  and are lower case (chat-input commands and every option); descriptions 1-100; <= 25
  options a level, required before optional; <= 25 choices, names 1-100, string values
  <= 100; names unique per level; <= 4000 characters a command; <= 100 chat-input, 15 user
  and 15 message commands per scope (code 30032);
- AutoMod: a channel may carry a keyword list; a message containing one of them (whole
  word, any case) is refused with code 200000;
- autocomplete results <= 25 choices (name 1-100, value of the focused option's type, a
  string <= 100); a modal has a custom_id 1-100, a title 1-45 and 1-5 components.

A refusal is Discord's body: `{"code": 50035, "message": "Invalid Form Body", "errors": ...}`
with the nested `errors` object (`{"field": {"0": {"_errors": [{"code", "message"}]}}}`), or
the specific code where Discord has one. Every check here is a pure function.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import regex

from bot.sandbox.fake_discord.payloads import JSON, error_body

# --- codes and messages -------------------------------------------------------------------
INVALID_FORM_BODY = 50035
EMPTY_MESSAGE = 50006
TAG_REQUIRED = 40067
AUTOMOD_BLOCKED = 200000
FORUM_WEBHOOK_NEEDS_THREAD = 220001
TOO_MANY_COMMANDS = 30032

# --- messages -------------------------------------------------------------------------------
CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
NONCE_LIMIT = 25
COMPONENTS_V2_FLAG = 1 << 15

# --- embeds ---------------------------------------------------------------------------------
FIELDS_LIMIT = 25
TOTAL_EMBED_LIMIT = 6000
EMBED_TEXT_LIMITS: dict[str, int] = {"title": 256, "description": 4096}
FIELD_TEXT_LIMITS: dict[str, int] = {"name": 256, "value": 1024}
FOOTER_TEXT_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
LINK_SCHEMES = ("http", "https")
MEDIA_SCHEMES = ("http", "https", "attachment")

# --- components ----------------------------------------------------------------------------
ACTION_ROW, BUTTON, TEXT_INPUT = 1, 2, 4
STRING_SELECT = 3
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
ACTION_ROWS_LIMIT = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
SELECT_OPTIONS_LIMIT = 25
SELECT_OPTION_TEXT_LIMIT = 100
PLACEHOLDER_LIMIT = 150

# --- webhooks, threads, forums ------------------------------------------------------------
WEBHOOK_NAME_LIMIT = 80
WEBHOOK_FORBIDDEN_WORDS = ("clyde", "discord")
THREAD_NAME_LIMIT = 100
REQUIRE_TAG_FLAG = 1 << 4

# --- interaction callbacks ---------------------------------------------------------------
MODAL_TITLE_LIMIT = 45
MODAL_COMPONENTS_LIMIT = 5
CHOICES_LIMIT = 25
CHOICE_TEXT_LIMIT = 100

# --- application commands -----------------------------------------------------------------
COMMAND_NAME = regex.compile(r"^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
COMMANDS_PER_TYPE: dict[int, int] = {CHAT_INPUT: 100, USER_COMMAND: 15, MESSAGE_COMMAND: 15}
COMMAND_DESCRIPTION_LIMIT = 100
CONTEXT_MENU_NAME_LIMIT = 32
OPTIONS_LIMIT = 25
COMMAND_SIZE_LIMIT = 4000
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING_OPTION, INTEGER_OPTION, NUMBER_OPTION = 3, 4, 10
CHOICE_TYPES = frozenset({STRING_OPTION, INTEGER_OPTION, NUMBER_OPTION})
OPTION_TYPES = frozenset(range(1, 12))
STRING_OPTION_LENGTH_LIMIT = 6000


# --- the errors object ----------------------------------------------------------------------
def field_error(code: str, message: str) -> JSON:
    """One leaf of Discord's errors object."""
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> JSON:
    return field_error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _bad_length(low: int, high: int) -> JSON:
    return field_error("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _required() -> JSON:
    return field_error("BASE_TYPE_REQUIRED", "This field is required")


def invalid_form_body(errors: JSON) -> JSON:
    """Discord's 400 body for a form that breaks a rule."""
    return error_body(INVALID_FORM_BODY, "Invalid Form Body", errors)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[JSON]:
    return [item for item in _items(value) if isinstance(item, dict)]


def _indexed(found: dict[int, JSON]) -> JSON:
    return {str(index): errors for index, errors in found.items() if errors}


# --- embeds ---------------------------------------------------------------------------------
def embed_text_size(embed: JSON) -> int:
    """Characters of an embed that count towards the 6000 total."""
    size = len(_text(embed.get("title"))) + len(_text(embed.get("description")))
    for item in _dicts(embed.get("fields")):
        size += len(_text(item.get("name"))) + len(_text(item.get("value")))
    size += len(_text((embed.get("footer") or {}).get("text")))
    size += len(_text((embed.get("author") or {}).get("name")))
    return size


def url_error(value: Any, schemes: tuple[str, ...]) -> JSON | None:
    """Discord's error for a URL whose scheme it does not take (None if fine or absent)."""
    if value is None:
        return None
    text = _text(value)
    scheme, separator, rest = text.partition(":")
    if not separator or not rest or not scheme.isascii() or not scheme.isalpha():
        return field_error("URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if scheme.lower() not in schemes:
        allowed = ", ".join(repr(s) for s in schemes)
        return field_error(
            "URL_TYPE_INVALID_SCHEME",
            f'Scheme "{scheme}" is not supported. Scheme must be one of ({allowed}).',
        )
    return None


def _field_errors(item: JSON) -> JSON:
    errors: JSON = {}
    for key, limit in FIELD_TEXT_LIMITS.items():
        text = _text(item.get(key))
        if not text.strip():
            errors[key] = _required()
        elif len(text) > limit:
            errors[key] = _too_long(limit)
    return errors


def _embed_url_errors(embed: JSON) -> JSON:
    errors: JSON = {}
    if (found := url_error(embed.get("url"), LINK_SCHEMES)) is not None:
        errors["url"] = found
    for key in ("image", "thumbnail"):
        part = embed.get(key)
        if isinstance(part, dict) and (found := url_error(part.get("url"), MEDIA_SCHEMES)):
            errors[key] = {"url": found}
    author = embed.get("author")
    if isinstance(author, dict):
        author_errors: JSON = {}
        if (found := url_error(author.get("url"), LINK_SCHEMES)) is not None:
            author_errors["url"] = found
        if (found := url_error(author.get("icon_url"), MEDIA_SCHEMES)) is not None:
            author_errors["icon_url"] = found
        if author_errors:
            errors["author"] = author_errors
    footer = embed.get("footer")
    if isinstance(footer, dict) and (found := url_error(footer.get("icon_url"), MEDIA_SCHEMES)):
        errors["footer"] = {"icon_url": found}
    return errors


def _merge(into: JSON, extra: JSON) -> JSON:
    for key, value in extra.items():
        if isinstance(into.get(key), dict) and isinstance(value, dict) and "_errors" not in value:
            _merge(into[key], value)
        else:
            into.setdefault(key, value)
    return into


def _embed_errors(embed: JSON) -> JSON:
    errors: JSON = {}
    for key, limit in EMBED_TEXT_LIMITS.items():
        if len(_text(embed.get(key))) > limit:
            errors[key] = _too_long(limit)
    fields = _items(embed.get("fields"))
    if len(fields) > FIELDS_LIMIT:
        errors["fields"] = _too_long(FIELDS_LIMIT)
    else:
        found = _indexed({i: _field_errors(f) for i, f in enumerate(_dicts(fields))})
        if found:
            errors["fields"] = found
    if len(_text((embed.get("footer") or {}).get("text"))) > FOOTER_TEXT_LIMIT:
        errors["footer"] = {"text": _too_long(FOOTER_TEXT_LIMIT)}
    if len(_text((embed.get("author") or {}).get("name"))) > AUTHOR_NAME_LIMIT:
        errors["author"] = {"name": _too_long(AUTHOR_NAME_LIMIT)}
    return _merge(errors, _embed_url_errors(embed))


def _embeds_errors(embeds: list[Any]) -> JSON | None:
    if len(embeds) > EMBEDS_LIMIT:
        return _too_long(EMBEDS_LIMIT)
    found = _indexed({i: _embed_errors(e) for i, e in enumerate(_dicts(embeds))})
    if found:
        return found
    if sum(embed_text_size(e) for e in _dicts(embeds)) > TOTAL_EMBED_LIMIT:
        return field_error(
            "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {TOTAL_EMBED_LIMIT}"
        )
    return None


# --- components ----------------------------------------------------------------------------
def _custom_id_error(component: JSON) -> JSON | None:
    custom_id = component.get("custom_id")
    if custom_id is None:
        return None
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_LIMIT:
        return _bad_length(1, CUSTOM_ID_LIMIT)
    return None


def _select_option_errors(option: JSON) -> JSON:
    errors: JSON = {}
    for key in ("label", "value"):
        text = _text(option.get(key))
        if not 1 <= len(text) <= SELECT_OPTION_TEXT_LIMIT:
            errors[key] = _bad_length(1, SELECT_OPTION_TEXT_LIMIT)
    if len(_text(option.get("description"))) > SELECT_OPTION_TEXT_LIMIT:
        errors["description"] = _too_long(SELECT_OPTION_TEXT_LIMIT)
    return errors


def _component_errors(component: JSON) -> JSON:
    """Errors of one interactive component (button, select, text input), nested or not."""
    errors: JSON = {}
    if (found := _custom_id_error(component)) is not None:
        errors["custom_id"] = found
    kind = component.get("type")
    if kind == BUTTON:
        if len(_text(component.get("label"))) > BUTTON_LABEL_LIMIT:
            errors["label"] = _too_long(BUTTON_LABEL_LIMIT)
        if (found := url_error(component.get("url"), (*LINK_SCHEMES, "discord"))) is not None:
            errors["url"] = found
    if kind in SELECT_TYPES:
        if len(_text(component.get("placeholder"))) > PLACEHOLDER_LIMIT:
            errors["placeholder"] = _too_long(PLACEHOLDER_LIMIT)
        if kind == STRING_SELECT:
            options = _items(component.get("options"))
            if not 1 <= len(options) <= SELECT_OPTIONS_LIMIT:
                errors["options"] = _bad_length(1, SELECT_OPTIONS_LIMIT)
            else:
                found_options = _indexed(
                    {i: _select_option_errors(o) for i, o in enumerate(_dicts(options))}
                )
                if found_options:
                    errors["options"] = found_options
    for key in ("components",):
        children = _indexed(
            {i: _component_errors(c) for i, c in enumerate(_dicts(component.get(key)))}
        )
        if children:
            errors[key] = children
    accessory = component.get("accessory")
    if isinstance(accessory, dict) and (found := _component_errors(accessory)):
        errors["accessory"] = found
    return errors


def _action_row_errors(row: JSON) -> JSON:
    if row.get("type") != ACTION_ROW:
        return _component_errors(row)
    children = _dicts(row.get("components"))
    selects = [i for i, c in enumerate(children) if c.get("type") in SELECT_TYPES]
    if selects and len(children) > 1:
        width = field_error(
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
        )
        offender = selects[0] if selects[0] > 0 else 1
        return {"components": {str(offender): width}}
    if not 1 <= len(children) <= BUTTONS_PER_ROW:
        return {"components": _bad_length(1, BUTTONS_PER_ROW)}
    return _component_errors(row)


def components_errors(components: list[Any], *, flags: int) -> JSON | None:
    """Errors of a message's `components` (legacy action-row rules unless components v2)."""
    if not components:
        return None
    if flags & COMPONENTS_V2_FLAG:
        found = _indexed({i: _component_errors(c) for i, c in enumerate(_dicts(components))})
        return found or None
    if len(components) > ACTION_ROWS_LIMIT:
        return _too_long(ACTION_ROWS_LIMIT)
    found = _indexed({i: _action_row_errors(c) for i, c in enumerate(_dicts(components))})
    return found or None


# --- mentions and nonce -------------------------------------------------------------------
def allowed_mentions_errors(allowed: Any) -> JSON | None:
    """Discord refuses `parse: ["roles"]` together with a `roles` list (and the same for users)."""
    if not isinstance(allowed, dict):
        return None
    parse = _items(allowed.get("parse"))
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind) is not None:
            return field_error(
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
    return None


def nonce_error(nonce: Any) -> JSON | None:
    """A nonce is an integer or a string of at most 25 characters."""
    if nonce is None or (isinstance(nonce, int) and not isinstance(nonce, bool)):
        return None
    if not isinstance(nonce, str):
        return field_error("NONCE_TYPE_INVALID", "Nonce must be an integer or a string.")
    if len(nonce) > NONCE_LIMIT:
        return _too_long(NONCE_LIMIT)
    return None


# --- whole messages ------------------------------------------------------------------------
def message_body_errors(body: JSON) -> JSON:
    """The nested `errors` object for a message body (empty when it is valid)."""
    errors: JSON = {}
    if len(_text(body.get("content"))) > CONTENT_LIMIT:
        errors["content"] = _too_long(CONTENT_LIMIT)
    if (found := _embeds_errors(_items(body.get("embeds")))) is not None:
        errors["embeds"] = found
    flags = body.get("flags")
    flags = flags if isinstance(flags, int) else 0
    if (found := components_errors(_items(body.get("components")), flags=flags)) is not None:
        errors["components"] = found
    if (found := allowed_mentions_errors(body.get("allowed_mentions"))) is not None:
        errors["allowed_mentions"] = found
    if (found := nonce_error(body.get("nonce"))) is not None:
        errors["nonce"] = found
    return errors


def is_empty_message(body: JSON, file_count: int) -> bool:
    """True when a new message would have nothing to show."""
    return not (
        _text(body.get("content"))
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or file_count
    )


def check_message(body: JSON, *, file_count: int, is_edit: bool) -> JSON | None:
    """Discord's 400 error body for an invalid message, or None if it may be sent."""
    errors = message_body_errors(body)
    if errors:
        return invalid_form_body(errors)
    if not is_edit and is_empty_message(body, file_count):
        return error_body(EMPTY_MESSAGE, "Cannot send an empty message")
    return None


# --- webhooks -----------------------------------------------------------------------------
def webhook_name_error(name: Any) -> JSON | None:
    """Errors of a webhook name: 1-80 characters, no "clyde" or "discord" in any case."""
    text = _text(name)
    if not 1 <= len(text) <= WEBHOOK_NAME_LIMIT:
        return _bad_length(1, WEBHOOK_NAME_LIMIT)
    for word in WEBHOOK_FORBIDDEN_WORDS:
        if word in text.lower():
            return field_error("USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"')
    return None


def check_webhook_create(body: JSON) -> JSON | None:
    """Discord's 400 body for creating a webhook with this body, or None."""
    found = webhook_name_error(body.get("name"))
    return None if found is None else invalid_form_body({"name": found})


def check_webhook_execute(body: JSON, *, file_count: int) -> JSON | None:
    """Discord's 400 body for executing a webhook with this body, or None."""
    errors = message_body_errors(body)
    if body.get("username") is not None and (found := webhook_name_error(body["username"])):
        errors["username"] = found
    if (found := url_error(body.get("avatar_url"), LINK_SCHEMES)) is not None:
        errors["avatar_url"] = found
    thread_name = body.get("thread_name")
    if thread_name is not None and not 1 <= len(_text(thread_name)) <= THREAD_NAME_LIMIT:
        errors["thread_name"] = _bad_length(1, THREAD_NAME_LIMIT)
    if errors:
        return invalid_form_body(errors)
    if is_empty_message(body, file_count):
        return error_body(EMPTY_MESSAGE, "Cannot send an empty message")
    return None


# --- threads and forum posts ---------------------------------------------------------------
def thread_name_error(name: Any) -> JSON | None:
    """A thread name is 1-100 characters."""
    if not isinstance(name, str) or not 1 <= len(name) <= THREAD_NAME_LIMIT:
        return _bad_length(1, THREAD_NAME_LIMIT)
    return None


def check_forum_tags(body: JSON, *, forum_flags: int) -> JSON | None:
    """40067 when the forum requires a tag and the post carries none."""
    if forum_flags & REQUIRE_TAG_FLAG and not _items(body.get("applied_tags")):
        return error_body(TAG_REQUIRED, "A tag is required to create a forum post in this channel")
    return None


def check_webhook_into_forum(body: JSON, thread_id: str | None) -> JSON | None:
    """220001 when a webhook of a forum is executed without ``thread_name`` or ``thread_id``
    (a forum takes posts, not plain messages)."""
    if thread_id or _text(body.get("thread_name")):
        return None
    return error_body(
        FORUM_WEBHOOK_NEEDS_THREAD,
        "Webhooks posted to forum channels must have a thread_name or thread_id",
    )


# --- AutoMod ------------------------------------------------------------------------------
def _message_text(body: JSON) -> Iterable[str]:
    yield _text(body.get("content"))
    for embed in _dicts(body.get("embeds")):
        yield _text(embed.get("title"))
        yield _text(embed.get("description"))
        for item in _dicts(embed.get("fields")):
            yield _text(item.get("name"))
            yield _text(item.get("value"))


def automod_block(body: JSON, keywords: Iterable[str]) -> JSON | None:
    """Discord's 400 body (code 200000) when a keyword rule matches the message, else None."""
    words = [w for w in keywords if w]
    if not words:
        return None
    pattern = regex.compile(
        r"\b(?:" + "|".join(regex.escape(w) for w in words) + r")\b", regex.IGNORECASE
    )
    if any(pattern.search(text) for text in _message_text(body)):
        return error_body(AUTOMOD_BLOCKED, "Message was blocked by automatic moderation")
    return None


# --- interaction callbacks ---------------------------------------------------------------
def _choice_errors(choice: Any, option_type: int) -> JSON:
    if not isinstance(choice, dict):
        return field_error("DICT_TYPE_CONVERT", "Only dictionaries")
    errors: JSON = {}
    name = choice.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_TEXT_LIMIT:
        errors["name"] = _bad_length(1, CHOICE_TEXT_LIMIT)
    value = choice.get("value")
    if option_type == STRING_OPTION:
        if not isinstance(value, str) or len(value) > CHOICE_TEXT_LIMIT:
            errors["value"] = _bad_length(0, CHOICE_TEXT_LIMIT)
    elif option_type in (INTEGER_OPTION, NUMBER_OPTION):
        whole = option_type == INTEGER_OPTION
        numeric = isinstance(value, int) or (not whole and isinstance(value, float))
        if isinstance(value, bool) or not numeric:
            kind = "an integer" if whole else "a number"
            errors["value"] = field_error("NUMBER_TYPE_COERCE", f"Value is not {kind}.")
    return errors


def check_autocomplete(data: JSON, option_type: int) -> JSON | None:
    """Discord's 400 error body for an invalid autocomplete result, or None."""
    choices = data.get("choices")
    if not isinstance(choices, list):
        errors: JSON = {"choices": _required()}
    elif len(choices) > CHOICES_LIMIT:
        errors = {"choices": _too_long(CHOICES_LIMIT)}
    else:
        found = _indexed({i: _choice_errors(c, option_type) for i, c in enumerate(choices)})
        errors = {"choices": found} if found else {}
    return invalid_form_body({"data": errors}) if errors else None


def check_modal(data: JSON) -> JSON | None:
    """Discord's 400 error body for an invalid modal, or None."""
    errors: JSON = {}
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_LIMIT:
        errors["custom_id"] = _bad_length(1, CUSTOM_ID_LIMIT)
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= MODAL_TITLE_LIMIT:
        errors["title"] = _bad_length(1, MODAL_TITLE_LIMIT)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= MODAL_COMPONENTS_LIMIT:
        errors["components"] = _bad_length(1, MODAL_COMPONENTS_LIMIT)
    return invalid_form_body({"data": errors}) if errors else None


# --- application commands -----------------------------------------------------------------
def _name_error(name: Any, *, chat_input: bool) -> JSON | None:
    if not isinstance(name, str):
        return _required()
    if not chat_input:
        if not 1 <= len(name) <= CONTEXT_MENU_NAME_LIMIT:
            return _bad_length(1, CONTEXT_MENU_NAME_LIMIT)
        return None
    if not COMMAND_NAME.match(name) or name != name.lower():
        return field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    return None


def _description_error(description: Any, *, chat_input: bool) -> JSON | None:
    text = _text(description)
    if not chat_input:
        if not text:
            return None
        message = "Context menu commands cannot have a description"
        return field_error("APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", message)
    if not 1 <= len(text) <= COMMAND_DESCRIPTION_LIMIT:
        return _bad_length(1, COMMAND_DESCRIPTION_LIMIT)
    return None


def _command_choice_errors(choice: JSON, option_type: int) -> JSON:
    errors: JSON = {}
    name = choice.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_TEXT_LIMIT:
        errors["name"] = _bad_length(1, CHOICE_TEXT_LIMIT)
    value = choice.get("value")
    if option_type == STRING_OPTION:
        if not isinstance(value, str) or not 1 <= len(value) <= CHOICE_TEXT_LIMIT:
            errors["value"] = _bad_length(1, CHOICE_TEXT_LIMIT)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        errors["value"] = field_error("NUMBER_TYPE_COERCE", "Value is not a number.")
    return errors


def _option_errors(option: JSON, depth: int) -> JSON:
    errors: JSON = {}
    kind = option.get("type")
    if kind not in OPTION_TYPES:
        message = f"Value must be one of {sorted(OPTION_TYPES)}."
        errors["type"] = field_error("BASE_TYPE_CHOICES", message)
    if (found := _name_error(option.get("name"), chat_input=True)) is not None:
        errors["name"] = found
    if (found := _description_error(option.get("description"), chat_input=True)) is not None:
        errors["description"] = found
    choices = _items(option.get("choices"))
    if choices and kind not in CHOICE_TYPES:
        message = "Only string, integer and number options take choices"
        errors["choices"] = field_error("APPLICATION_COMMAND_OPTION_CHOICES_INVALID", message)
    elif len(choices) > CHOICES_LIMIT:
        errors["choices"] = _too_long(CHOICES_LIMIT)
    elif isinstance(kind, int):
        found_choices = _indexed(
            {i: _command_choice_errors(c, kind) for i, c in enumerate(_dicts(choices))}
        )
        if found_choices:
            errors["choices"] = found_choices
    for key, low in (("min_length", 0), ("max_length", 1)):
        value = option.get(key)
        if value is not None and (
            not isinstance(value, int) or not low <= value <= STRING_OPTION_LENGTH_LIMIT
        ):
            message = f"int value should be between {low} and {STRING_OPTION_LENGTH_LIMIT}."
            errors[key] = field_error("NUMBER_TYPE_MAX", message)
    if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
        if (kind == SUB_COMMAND_GROUP and depth > 0) or depth > 1:
            errors["type"] = field_error(
                "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands cannot be nested this deep"
            )
        found_options = _options_errors(_items(option.get("options")), depth + 1,
                                        group=kind == SUB_COMMAND_GROUP)
        if found_options:
            errors["options"] = found_options
    return errors


def _options_errors(options: list[Any], depth: int, *, group: bool = False) -> JSON | None:
    """Errors of one level of options: count, order, unique names, then each option."""
    if len(options) > OPTIONS_LIMIT:
        return _too_long(OPTIONS_LIMIT)
    entries = _dicts(options)
    kinds = [o.get("type") for o in entries]
    nested = [k in (SUB_COMMAND, SUB_COMMAND_GROUP) for k in kinds]
    if any(nested) and not all(nested):
        return field_error(
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Subcommands and groups cannot be mixed with other options",
        )
    if group and not all(k == SUB_COMMAND for k in kinds):
        return field_error(
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "A subcommand group holds only subcommands"
        )
    seen_optional = False
    for option in entries:
        if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            continue
        if option.get("required"):
            if seen_optional:
                return field_error(
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
    names = [o.get("name") for o in entries]
    if len(set(map(str, names))) != len(names):
        return field_error(
            "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"
        )
    found = _indexed({i: _option_errors(o, depth) for i, o in enumerate(entries)})
    return found or None


def _longest(value: Any, localizations: Any) -> int:
    """The longest of a text and its localizations (Discord counts only that one)."""
    lengths = [len(_text(value))]
    if isinstance(localizations, dict):
        lengths += [len(_text(v)) for v in localizations.values()]
    return max(lengths)


def command_size(item: JSON) -> int:
    """Characters of a command (or option) that count towards the 4000 limit."""
    size = _longest(item.get("name"), item.get("name_localizations"))
    size += _longest(item.get("description"), item.get("description_localizations"))
    for choice in _dicts(item.get("choices")):
        size += _longest(choice.get("name"), choice.get("name_localizations"))
        size += len(str(choice.get("value", "")))
    for option in _dicts(item.get("options")):
        size += command_size(option)
    return size


def _command_errors(command: JSON) -> JSON:
    kind = command.get("type") or CHAT_INPUT
    chat_input = kind == CHAT_INPUT
    errors: JSON = {}
    if (found := _name_error(command.get("name"), chat_input=chat_input)) is not None:
        errors["name"] = found
    if (found := _description_error(command.get("description"), chat_input=chat_input)):
        errors["description"] = found
    options = _items(command.get("options"))
    if options and not chat_input:
        errors["options"] = field_error(
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Context menu commands cannot have options"
        )
    elif (found := _options_errors(options, 0)) is not None:
        errors["options"] = found
    if not errors and command_size(command) > COMMAND_SIZE_LIMIT:
        errors["_errors"] = field_error(
            "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({COMMAND_SIZE_LIMIT})"
        )["_errors"]
    return errors


def check_command_tree(commands: Any) -> JSON | None:
    """Discord's 400 body for a bulk overwrite (PUT .../commands) it would refuse, or None."""
    if not isinstance(commands, list):
        return invalid_form_body(field_error("ARRAY_TYPE_CONVERT", "Only iterables may be used"))
    entries = _dicts(commands)
    for kind, limit in COMMANDS_PER_TYPE.items():
        if sum(1 for c in entries if (c.get("type") or CHAT_INPUT) == kind) > limit:
            return error_body(
                TOO_MANY_COMMANDS, f"Maximum number of application commands reached ({limit})"
            )
    found = _indexed({i: _command_errors(c) for i, c in enumerate(entries)})
    if found:
        return invalid_form_body(found)
    keys = [(c.get("type") or CHAT_INPUT, c.get("name")) for c in entries]
    duplicates = [i for i, key in enumerate(keys) if keys.index(key) != i]
    if duplicates:
        return invalid_form_body(
            {
                str(duplicates[0]): {
                    "name": field_error(
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        "Application command names must be unique",
                    )
                }
            }
        )
    return None
