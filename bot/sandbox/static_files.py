"""The sandbox's ``--serve DIR``: serve a directory's files on 127.0.0.1, like a polite site.

Rules:

- Listens on 127.0.0.1 only (port 0 picks a free port); ``base_url`` is
  ``http://127.0.0.1:PORT``.
- Serves regular files below the directory and nothing else: no directory listing, and a
  path that escapes the directory (``..``, symlinks pointing outside) is a plain 404.
- Every request reads the file again (in a worker thread), so a test or a person can rewrite
  a feed between polls and the next poll sees it.
- ``ETag`` is a hash of the content and ``Last-Modified`` the file's mtime; a matching
  ``If-None-Match`` (or, without one, an ``If-Modified-Since`` not older than the mtime)
  gets ``304 Not Modified``.
- Content types by extension: ``.xml``/``.rss`` → ``application/rss+xml`` (an ``.xml`` file
  holding an Atom feed → ``application/atom+xml``), ``.atom`` → ``application/atom+xml``,
  ``.json`` → ``application/feed+json`` when it is a JSON Feed, else ``application/json``,
  ``.html`` → ``text/html``. No charset is added, so a feed's own XML declaration decides.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.sandbox.loopback import LoopbackSite

_FEED_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".html": "text/html",
    ".htm": "text/html",
}


@dataclass(frozen=True)
class _ServedFile:
    body: bytes
    mtime: float


def content_type_for(path: Path, body: bytes) -> str:
    """Return the Content-Type to serve ``path`` (whose content is ``body``) with."""
    suffix = path.suffix.lower()
    head = body[:1024]
    if suffix == ".xml":
        is_atom = b"<feed" in head and b"http://www.w3.org/2005/Atom" in head
        return "application/atom+xml" if is_atom else "application/rss+xml"
    if suffix == ".json":
        return "application/feed+json" if b"jsonfeed.org/version/" in head else "application/json"
    if suffix in _FEED_TYPES:
        return _FEED_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _read_file(path: Path) -> _ServedFile:
    """Read a file's bytes and mtime (blocking; call it in a thread)."""
    return _ServedFile(body=path.read_bytes(), mtime=path.stat().st_mtime)


def _not_modified(request: web.Request, etag: str, mtime: float) -> bool:
    """Return True when the request's validators show the client has this version."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False
    return int(mtime) <= since


class StaticFileServer(LoopbackSite):
    """Serve a directory's files on 127.0.0.1 with validators; an async context manager."""

    def __init__(self, directory: Path | str, *, port: int = 0) -> None:
        super().__init__(port)
        self.directory = Path(directory).resolve()

    def url(self, name: str) -> str:
        """Return the URL a file (path relative to the directory) is served at."""
        return f"{self.base_url}/{name.lstrip('/')}"

    def _resolve(self, relative: str) -> Path | None:
        """Return the file a request path names, or None if it is outside or not a file."""
        parts = [part for part in relative.split("/") if part]
        if any(part in ("..", ".") or "\\" in part or "\0" in part for part in parts):
            return None
        target = self.directory.joinpath(*parts).resolve()
        if not target.is_relative_to(self.directory) or not target.is_file():
            return None
        return target

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        target = await asyncio.to_thread(self._resolve, request.match_info["path"])
        if target is None:
            return web.Response(status=404, text="Not found")
        try:
            served = await asyncio.to_thread(_read_file, target)
        except OSError:
            return web.Response(status=404, text="Not found")
        etag = '"' + hashlib.sha256(served.body).hexdigest()[:32] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(served.mtime, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if _not_modified(request, etag, served.mtime):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = content_type_for(target, served.body)
        return web.Response(body=served.body, headers=headers)

    def build_app(self) -> web.Application:
        """Serve every path from the directory."""
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        return app
