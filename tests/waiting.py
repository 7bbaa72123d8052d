"""Waiting in tests: for a condition, never for a fixed time.

``await eventually(lambda: condition)`` checks the condition every few milliseconds and
returns its first truthy value; the condition may be a coroutine (a database read). It fails
with ``message`` once ``timeout`` seconds have passed without the condition holding.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

T = TypeVar("T")

POLL_SECONDS = 0.01


# ``timeout`` bounds the polling, not one call: ASYNC109's ``asyncio.timeout`` cannot say it.
@overload
async def eventually(
    condition: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = ...,  # noqa: ASYNC109
    message: str = ...,
) -> T: ...


@overload
async def eventually(
    condition: Callable[[], T | None],
    *,
    timeout: float = ...,  # noqa: ASYNC109
    message: str = ...,
) -> T: ...


async def eventually(
    condition: Callable[[], object],
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
    message: str = "",
) -> object:
    """Return the first truthy value of ``condition()``, checked until ``timeout`` seconds.

    Raises:
        AssertionError: the condition did not hold in time (says ``message``).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(
                f"not true within {timeout:g} s: {message or 'the awaited condition'}"
            )
        await asyncio.sleep(POLL_SECONDS)
