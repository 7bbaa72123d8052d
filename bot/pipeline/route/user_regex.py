"""Regular expressions that server admins write (``/filter add … match:regex``), run on RE2.

Rules:
- Patterns run on RE2 (``google-re2``), a linear-time engine: no backtracking, so no pattern
  can take exponential time on any text. Matching ignores case.
- Each pattern is compiled with at most ``REGEX_MEMORY_BYTES`` of memory. A pattern that
  would need more (``(?:(?:(?:a{100}){100}){100}){100}``) is refused by RE2 at once instead
  of growing, and RE2 refuses repetition counts above 1,000, nested ones multiplied.
- A pattern whose compiled program has more than ``MAX_PROGRAM_SIZE`` instructions is refused:
  matching costs up to (text length × program size), so this bounds the cost of one rule.
- Constructs RE2 cannot run (backreferences, look-ahead and look-behind, atomic groups,
  possessive quantifiers, conditionals, recursion, ``\\Z``…) are refused with a sentence naming
  the construct.
- RE2's ``\\w``, ``\\d`` and ``\\b`` are ASCII; ``\\p{L}`` is any letter, ``\\p{Cyrillic}`` a
  Cyrillic one.
- Compiled patterns stay in re2's own cache, bounded by count (128 patterns), so at most
  128 × ``REGEX_MEMORY_BYTES`` of memory; the reasons for refused patterns are cached apart.
- Compiling is CPU work (up to ~20 ms under the memory cap): from async code, validate
  through ``asyncio.to_thread``.
"""

from __future__ import annotations

import functools

import re2

from bot.core.errors import InvalidInput

REGEX_MEMORY_BYTES = 1 << 20
"""Memory one compiled pattern may use, program and matching automata together (1 MiB)."""

MAX_PROGRAM_SIZE = 1000
"""Instructions of a compiled pattern, forward or reverse (``[a-z]{1,100}`` is about 700)."""

_ENGINE = "Newsdesk runs filter patterns on a linear-time engine (RE2)"


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = REGEX_MEMORY_BYTES
    options.case_sensitive = False
    options.never_capture = True  # only "does it match" is asked: groups cost nothing
    options.log_errors = False
    return options


_OPTIONS = _options()

# What RE2 names in its complaint (the text after "invalid perl operator: "), and the
# construct a person would recognise.
_GROUP_CONSTRUCTS = {
    "(?=": "look-ahead `(?=…)`/`(?!…)`",
    "(?!": "look-ahead `(?=…)`/`(?!…)`",
    "(?<=": "look-behind `(?<=…)`/`(?<!…)`",
    "(?<!": "look-behind `(?<=…)`/`(?<!…)`",
    "(?>": "atomic groups `(?>…)`",
    "(?(": "conditionals `(?(…)…|…)`",
    "(?#": "comments `(?#…)`",
    "(?|": "branch resets `(?|…)`",
    "(?R": "recursion `(?R)`",
    "(?&": "recursion `(?&name)`",
    "(?+": "recursion `(?+1)`",
    "(?-": "recursion `(?-1)`",
}


def _cannot_use(construct: str) -> str:
    return f"Filters cannot use {construct}: {_ENGINE}. Rewrite the pattern without it."


def _too_complex() -> str:
    return (
        "That pattern is too large for a filter. Use fewer or smaller repetitions, or a "
        "narrower class than `.` or `\\p{L}` (for example `[a-z]` or `\\p{Cyrillic}`)."
    )


def _perl_operator_sentence(operator: str, pattern: str) -> str | None:
    if operator in _GROUP_CONSTRUCTS:
        return _cannot_use(_GROUP_CONSTRUCTS[operator])
    if operator == "(?P":
        if "(?P=" in pattern:
            return _cannot_use("backreferences `(?P=name)`")
        if "(?P>" in pattern:
            return _cannot_use("recursion `(?P>name)`")
        return None
    flag = operator[2:3]
    if flag.isdigit():
        return _cannot_use("recursion `(?1)`")
    if flag.isalpha():
        return (
            f"Filters cannot use the flag `{flag}` in `(?{flag}…)`: only i, m, s and U are "
            "available. Remove it from the pattern."
        )
    return None


def _escape_sentence(escape: str) -> str:
    letter = escape[1:2]
    if letter.isdigit() or letter in ("k", "g"):
        return _cannot_use(f"backreferences `{escape}`")
    if letter == "Z":
        return "Filters cannot use `\\Z`: write `\\z` for the end of the text."
    return _cannot_use(f"the escape `{escape}`")


def refusal_sentence(message: str, pattern: str) -> str:
    """Turn RE2's complaint about ``pattern`` into a sentence for the admin who typed it."""
    code, _, argument = message.partition(": ")
    sentence: str | None = None
    if code == "invalid perl operator":
        sentence = _perl_operator_sentence(argument, pattern)
    elif code == "invalid escape sequence":
        sentence = _escape_sentence(argument)
    elif code == "bad repetition operator" and argument.endswith("+"):
        sentence = _cannot_use("possessive quantifiers `*+`/`++`/`?+`")
    elif code == "invalid repetition size":
        sentence = (
            f"That pattern repeats too much ({argument}): counts go up to 1000, nested "
            "repetitions multiplied. Use smaller counts."
        )
    elif code.startswith("pattern too large"):
        sentence = _too_complex()
    return sentence or f"That regular expression is not valid ({message}): check it and retry."


@functools.lru_cache(maxsize=1024)
def pattern_refusal(pattern: str) -> str | None:
    """Return why ``pattern`` cannot be a filter (a sentence), or None when it can.

    Compiles the pattern both ways (forward, and the reverse RE2 uses to find where a match
    starts), each under the memory cap.
    """
    try:
        compiled = re2.compile(pattern, _OPTIONS)
        size = max(compiled.programsize, compiled.reverseprogramsize)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        return refusal_sentence(text, pattern)
    except UnicodeError:
        return "That regular expression is not valid: it contains characters that are not text."
    if size > MAX_PROGRAM_SIZE:
        return _too_complex()
    return None


def checked_regex(pattern: str) -> str:
    """Return ``pattern`` when it can be a filter.

    Raises:
        InvalidInput: RE2 cannot run it, or it is too large (a sentence naming why).
    """
    refusal = pattern_refusal(pattern)
    if refusal is not None:
        raise InvalidInput(refusal)
    return pattern


def usable_regex(pattern: str) -> re2._Regexp[str] | None:
    """Return the compiled pattern, or None when it cannot run (a rule stored before RE2)."""
    if pattern_refusal(pattern) is not None:
        return None
    return re2.compile(pattern, _OPTIONS)
