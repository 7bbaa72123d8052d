"""A small aiohttp app served on 127.0.0.1: the base of the sandbox's sites and test servers."""

from __future__ import annotations

from typing import Self

from aiohttp import web


class LoopbackSite:
    """Serves ``build_app()`` on 127.0.0.1 (``port``, or a free one when 0) as a context.

    ``origin`` is the ``(host, port)`` it listens on once started: the exact address the
    sandbox lets the bot fetch from, while every other private address stays refused.
    """

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.origin: tuple[str, int] = ("", 0)

    def build_app(self) -> web.Application:
        """Return the application to serve (subclasses add their routes)."""
        raise NotImplementedError

    async def start(self) -> None:
        """Start listening on 127.0.0.1 and set ``base_url``."""
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self.origin = (str(host), int(port))

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
