"""Discord's message and embed limits, returning Discord's own error bodies.

Rules (Discord API v10):
- content at most 2000 characters; at most 10 embeds;
- per embed: title 256, description 4096, 25 fields, field name 256, field
  value 1024, footer text 2048, author name 256;
- all embeds of one message together at most 6000 characters (title,
  description, field names and values, footer text, author name);
- violations are 400 `{"code": 50035, "message": "Invalid Form Body",
  "errors": {...nested "_errors"...}}`;
- a new message with no content, embeds, files, components or poll is 400
  `{"code": 50006, "message": "Cannot send an empty message"}` (edits may empty
  a field, so they are not checked for emptiness);
- an autocomplete result (callback type 8) has at most 25 choices, each
  with a name of 1-100 characters and a value of the focused option's type
  (a string value at most 100 characters); violations are 400 code 50035;
- a modal (callback type 9) has a custom_id of 1-100 characters, a title of
  1-45 and 1-5 top-level components (400 code 50035 otherwise).
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.fake_discord.payloads import JSON, error_body

CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
FIELDS_LIMIT = 25
TOTAL_EMBED_LIMIT = 6000
EMBED_TEXT_LIMITS: dict[str, int] = {"title": 256, "description": 4096}
FIELD_TEXT_LIMITS: dict[str, int] = {"name": 256, "value": 1024}

MODAL_TITLE_LIMIT = 45
MODAL_COMPONENTS_LIMIT = 5
CHOICES_LIMIT = 25
CHOICE_TEXT_LIMIT = 100
STRING_OPTION, INTEGER_OPTION, NUMBER_OPTION = 3, 4, 10

INVALID_FORM_BODY = 50035
EMPTY_MESSAGE = 50006


def _too_long(limit: int) -> JSON:
    return {
        "_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
        ]
    }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embed_text_size(embed: JSON) -> int:
    """Characters of an embed that count towards the 6000 total."""
    size = len(_text(embed.get("title"))) + len(_text(embed.get("description")))
    for item in embed.get("fields") or []:
        size += len(_text(item.get("name"))) + len(_text(item.get("value")))
    size += len(_text((embed.get("footer") or {}).get("text")))
    size += len(_text((embed.get("author") or {}).get("name")))
    return size


def _embed_errors(embed: JSON) -> JSON:
    errors: JSON = {}
    for key, limit in EMBED_TEXT_LIMITS.items():
        if len(_text(embed.get(key))) > limit:
            errors[key] = _too_long(limit)
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_LIMIT:
        errors["fields"] = _too_long(FIELDS_LIMIT)
    else:
        field_errors: JSON = {}
        for index, item in enumerate(fields):
            item_errors = {
                key: _too_long(limit)
                for key, limit in FIELD_TEXT_LIMITS.items()
                if len(_text(item.get(key))) > limit
            }
            if item_errors:
                field_errors[str(index)] = item_errors
        if field_errors:
            errors["fields"] = field_errors
    if len(_text((embed.get("footer") or {}).get("text"))) > 2048:
        errors["footer"] = {"text": _too_long(2048)}
    if len(_text((embed.get("author") or {}).get("name"))) > 256:
        errors["author"] = {"name": _too_long(256)}
    return errors


def message_body_errors(body: JSON) -> JSON:
    """The nested `errors` object for a message body (empty when it is valid)."""
    errors: JSON = {}
    if len(_text(body.get("content"))) > CONTENT_LIMIT:
        errors["content"] = _too_long(CONTENT_LIMIT)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_LIMIT:
        errors["embeds"] = _too_long(EMBEDS_LIMIT)
        return errors
    embed_errors: JSON = {}
    for index, embed in enumerate(embeds):
        found = _embed_errors(embed)
        if found:
            embed_errors[str(index)] = found
    if embed_errors:
        errors["embeds"] = embed_errors
    elif sum(embed_text_size(e) for e in embeds) > TOTAL_EMBED_LIMIT:
        errors["embeds"] = {
            "_errors": [
                {
                    "code": "MAX_EMBED_SIZE_EXCEEDED",
                    "message": f"Embed size exceeds maximum size of {TOTAL_EMBED_LIMIT}",
                }
            ]
        }
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
        return error_body(INVALID_FORM_BODY, "Invalid Form Body", errors)
    if not is_edit and is_empty_message(body, file_count):
        return error_body(EMPTY_MESSAGE, "Cannot send an empty message")
    return None


def _bad_length(low: int, high: int) -> JSON:
    message = f"Must be between {low} and {high} in length."
    return {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": message}]}


def _choice_errors(choice: Any, option_type: int) -> JSON:
    if not isinstance(choice, dict):
        return {"_errors": [{"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries"}]}
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
            code = "NUMBER_TYPE_COERCE"
            errors["value"] = {"_errors": [{"code": code, "message": f"Value is not {kind}."}]}
    return errors


def check_autocomplete(data: JSON, option_type: int) -> JSON | None:
    """Discord's 400 error body for an invalid autocomplete result, or None."""
    choices = data.get("choices")
    if not isinstance(choices, list):
        errors: JSON = {
            "choices": {
                "_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]
            }
        }
    elif len(choices) > CHOICES_LIMIT:
        errors = {"choices": _too_long(CHOICES_LIMIT)}
    else:
        found = {str(i): e for i, c in enumerate(choices) if (e := _choice_errors(c, option_type))}
        errors = {"choices": found} if found else {}
    if not errors:
        return None
    return error_body(INVALID_FORM_BODY, "Invalid Form Body", {"data": errors})


def check_modal(data: JSON) -> JSON | None:
    """Discord's 400 error body for an invalid modal, or None."""
    errors: JSON = {}
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CHOICE_TEXT_LIMIT:
        errors["custom_id"] = _bad_length(1, CHOICE_TEXT_LIMIT)
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= MODAL_TITLE_LIMIT:
        errors["title"] = _bad_length(1, MODAL_TITLE_LIMIT)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= MODAL_COMPONENTS_LIMIT:
        errors["components"] = _bad_length(1, MODAL_COMPONENTS_LIMIT)
    if not errors:
        return None
    return error_body(INVALID_FORM_BODY, "Invalid Form Body", {"data": errors})
