"""Checking every REST body against Discord's own OpenAPI description (on in the tests).

Rules:
- the description is read at run time from a folder holding Discord's `openapi.json`
  (`../shared/data/discord-api-spec/`), never copied into the project; `OpenApiCheck.load`
  keeps one check per folder, so a test session parses the 1 MB file once;
- a route's validator is built on first use and kept (method + route template; the
  sandbox spells its routes as the spec does): each is one self-contained JSON Schema
  (the route's request schema plus the spec's `components`), so `$ref`s resolve in place;
- verdicts are remembered for the last `VERDICTS_KEPT` distinct bodies: the bot syncs the
  same command tree at every start (0.13 s to validate), and tests start it hundreds of times;
- a body is checked against the route's `application/json` request schema; a multipart
  request's `payload_json` is that same JSON (the spec's multipart schema only adds the
  `files[n]` parts, which the sandbox reads apart); a route or method without a request
  body in the spec is not checked;
- `SPEC_CORRECTIONS` lists, with the reason, each place the spec is known to be stricter
  than Discord; nothing else is relaxed;
- a failure is Discord's 400: code 50035 "Invalid Form Body" with the nested `errors`
  object, one entry per failing path: Discord's own code and sentence for lengths, counts,
  required fields and choices, else `SCHEMA_<KEYWORD>` with the validator's sentence; in a
  `oneOf`, the branch whose `type` matches the body is the one reported;
- `jsonschema` (the `test` extra) is imported only when a check is built, so the sandbox
  runs without it when the check is off.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.sandbox.fake_discord.discord_limits import field_error, invalid_form_body
from bot.sandbox.fake_discord.payloads import JSON

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

SPEC_FILE = "openapi.json"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
VERDICTS_KEPT = 256
_MISS = object()


def _snowflakes_may_be_integers(schemas: JSON) -> None:
    # The spec types a snowflake as a decimal string only, yet Discord's API reads a JSON
    # integer as the same id: discord.py has always sent `allowed_mentions.users/roles` (and
    # other ids) as integers, and every bot built on it relies on Discord accepting them.
    as_integer = {"type": "integer", "minimum": 0}
    schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], as_integer]}


def _media_channels_exist(schemas: JSON) -> None:
    # The spec's ChannelTypes stops at GUILD_FORUM (15); Discord's documentation lists
    # GUILD_MEDIA (16) too, and a channel option may name it in `channel_types`
    # (discord.py's ChannelType.media).
    media = {"title": "GUILD_MEDIA", "const": 16}
    if all(branch.get("const") != 16 for branch in schemas["ChannelTypes"]["oneOf"]):
        schemas["ChannelTypes"]["oneOf"].append(media)


SPEC_CORRECTIONS: tuple[Callable[[JSON], None], ...] = (
    _snowflakes_may_be_integers,
    _media_channels_exist,
)


class OpenApiUnavailable(Exception):
    """No readable `openapi.json` in the folder, or no jsonschema; str(error) says which."""


@dataclass(frozen=True)
class SchemaRefusal:
    """One body the check refused: where it went and Discord's answer."""

    method: str
    route: str
    body: Any
    answer: JSON


@dataclass
class OpenApiCheck:
    """Validators for the request bodies of Discord's routes, built once each."""

    spec: JSON
    folder: Path
    _validators: dict[tuple[str, str], Validator | None] = field(default_factory=dict)
    _verdicts: dict[tuple[str, str, str], JSON | None] = field(default_factory=dict)

    @staticmethod
    def load(folder: Path) -> OpenApiCheck:
        """The check for the spec in `folder` (kept per folder); raise OpenApiUnavailable."""
        if importlib.util.find_spec("jsonschema") is None:
            raise OpenApiUnavailable(
                "Checking against Discord's OpenAPI description needs jsonschema: "
                'install the test extra (pip install -e ".[test]").'
            )
        return _load(folder.resolve())

    def validator(self, method: str, route: str) -> Validator | None:
        """The validator of a route's request body (None when the spec has no body for it)."""
        key = (method.upper(), route)
        found = self._validators.get(key, _MISS)
        if found is _MISS:
            found = self._build(*key)
            self._validators[key] = found
        return found  # type: ignore[return-value]

    def _build(self, method: str, route: str) -> Validator | None:
        # jsonschema is the `test` extra: imported only when a check is built.
        from jsonschema import Draft202012Validator  # noqa: PLC0415

        operation = (self.spec.get("paths", {}).get(route) or {}).get(method.lower()) or {}
        content = (operation.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        if schema is None:
            return None
        root = {"allOf": [schema], "components": self.spec["components"]}
        return Draft202012Validator(root)

    def refusal(self, method: str, route: str, body: Any) -> JSON | None:
        """Discord's 400 body when `body` breaks the route's request schema, else None."""
        if method.upper() not in BODY_METHODS:
            return None
        key = (method.upper(), route, json.dumps(body, sort_keys=True, default=str))
        if key not in self._verdicts:
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            self._verdicts[key] = self._judge(method, route, body)
        return copy.deepcopy(self._verdicts[key])

    def _judge(self, method: str, route: str, body: Any) -> JSON | None:
        validator = self.validator(method, route)
        if validator is None or validator.is_valid(body):
            return None
        errors: JSON = {}
        for error in validator.iter_errors(body):
            _place(errors, _reported(error))
        return invalid_form_body(errors)


@functools.cache
def _load(folder: Path) -> OpenApiCheck:
    path = folder / SPEC_FILE
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        message = f"Discord's OpenAPI description is not readable at {path}: {error}"
        raise OpenApiUnavailable(message) from None
    spec = copy.deepcopy(spec)
    for correct in SPEC_CORRECTIONS:
        correct(spec["components"]["schemas"])
    return OpenApiCheck(spec, folder)


def _misses_discriminator(error: ValidationError, union: ValidationError) -> bool:
    """True when a union branch failed only because the body is another kind of thing."""
    depth = len(union.absolute_path)
    path = list(error.absolute_path)
    if path == list(union.absolute_path) and error.validator in ("type", "const", "enum"):
        return True
    return len(path) == depth + 1 and path[-1] == "type" and error.validator in ("enum", "const")


def _reported(error: ValidationError) -> ValidationError:
    """The error to report: inside a union, the deepest error of the branch that fits best.

    A branch fits when the body is its kind of thing (its `type` matches); of those, the
    one with the fewest errors is reported; when none fits, the union itself is.
    """
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for child in error.context:
            branches.setdefault(child.relative_schema_path[0], []).append(child)
        fitting = [
            errors
            for errors in branches.values()
            if not any(_misses_discriminator(e, error) for e in errors)
        ]
        if not fitting:
            break
        chosen = min(fitting, key=len)
        error = max(chosen, key=lambda e: len(e.absolute_path))
    return error


def _place(errors: JSON, error: ValidationError) -> None:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.validator_value, list):
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [k for k in error.validator_value if k not in instance]
        path.append(missing[0] if missing else "_")
        leaf = field_error("BASE_TYPE_REQUIRED", "This field is required")
    else:
        leaf = _discord_leaf(error)
    node = errors
    for part in path:
        node = node.setdefault(part, {})
    node.setdefault("_errors", []).extend(leaf["_errors"])


def _discord_leaf(error: ValidationError) -> JSON:
    """Discord's code and sentence for a schema keyword it reports itself, else the schema's."""
    keyword, limit = str(error.validator), error.validator_value
    if keyword in ("maxLength", "maxItems"):
        return field_error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    if keyword in ("minLength", "minItems"):
        return field_error("BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length.")
    if keyword in ("enum", "const"):
        choices = limit if isinstance(limit, list) else [limit]
        return field_error("BASE_TYPE_CHOICES", f"Value must be one of {choices}.")
    branches = limit if keyword in ("oneOf", "anyOf") and isinstance(limit, list) else []
    if branches and all(isinstance(b, dict) and "const" in b for b in branches):
        choices = [b["const"] for b in branches]
        return field_error("BASE_TYPE_CHOICES", f"Value must be one of {choices}.")
    return field_error(f"SCHEMA_{keyword.upper()}", error.message[:300])
