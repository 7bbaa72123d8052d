"""The polite fetcher: every HTTP GET Newsdesk makes goes through ``Fetcher.fetch``.

Rules:

- Only ``http`` and ``https`` URLs are followed, and never into a private network (see
  ``bot.pipeline.fetch.address_guard``; the guard runs on literal hosts here and on resolved
  addresses in the session's resolver, for the first URL and for every redirect target).
- Conditional GET: ``If-None-Match`` / ``If-Modified-Since`` are sent when validators are
  given, and a ``304 Not Modified`` comes back as a result with an empty body.
- Redirects are followed by hand, at most ``max_redirects`` of them; a loop is refused.
- One time budget (``timeout_seconds``) covers the whole fetch, redirects included; time
  spent waiting for a concurrency slot does not count against it.
- The body is read in chunks and abandoned past ``max_body_bytes``, counted both on the wire
  (``Content-Length`` and bytes read) and after decompression, so a decompression bomb is
  stopped after at most the cap plus one chunk of work. Only gzip and deflate are accepted.
- Fetches hold slots of a ``SlotPool``: at most ``per_host_limit`` requests at once against one
  host and ``global_limit`` overall. What members trigger on demand (``/summarize``, ``/feed
  add``'s discovery) goes through ``Fetcher.on_demand``, the same session with its own small
  pool (``on_demand_limit`` slots, one per host), so members can never hold the slots the
  pollers and the reader need. A pool remembers a host only while a fetch of it holds or
  awaits a slot, so its map of hosts empties as fetches end.
- Network and HTTP problems leave ``fetch`` only as ``FetchError``, whose message is one
  sentence for a server admin; 429 and 503 carry ``retry_after`` from ``Retry-After``. The
  original exception is logged at debug level with ``url=``. So do addresses that cannot be
  fetched: a site name that does not decode (``http://xn--a-/x``), an empty or over-long
  label, a bad port, control characters: never a ``UnicodeError`` or ``ValueError``.
- Numbers a site sends are clamped: ``Retry-After`` (seconds or an HTTP date),
  ``Cache-Control: max-age`` and ``Expires`` give 0 to ``MAX_HEADER_SECONDS`` (a day);
  garbage (``soon``, ``+5``, ``١٢``) is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import logging
import re
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from bot.core.errors import FetchError
from bot.pipeline.fetch.address_guard import (
    PRIVATE_ADDRESS_MESSAGE,
    PrivateAddressRefused,
    PublicOnlyResolver,
    literal_ip_host,
    refuse_private_literal_host,
)

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024

MAX_HEADER_SECONDS = 86_400.0
"""The longest wait or freshness a site's headers can ask for (a day)."""

INVALID_ADDRESS_MESSAGE = (
    "That is not a valid web address: paste the full address, starting with https://."
)
INVALID_SITE_NAME_MESSAGE = (
    "The site name in that address cannot exist (an empty or too long part, a damaged xn-- "
    "name or a character names cannot have): check the address for typos."
)
_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only: int() would take "+5" or "١٢"
_HOST_LABEL_LIMIT = 63
_HOST_NAME_LIMIT = 253
_HOST_LABEL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how defensively the fetcher behaves."""

    user_agent: str = "Newsdesk/0.1 (+https://github.com/newsdesk-bot/newsdesk)"
    timeout_seconds: float = 15.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host_limit: int = 2
    global_limit: int = 20
    on_demand_limit: int = 4
    allow_private_addresses: bool = False
    # Exact (host, port) pairs fetched even though they are private: the sandbox's own
    # loopback servers, so that every other private address stays refused there too.
    allowed_private_origins: frozenset[tuple[str, int]] = frozenset()


@dataclass(frozen=True)
class FetchResult:
    """What one successful fetch (200, or 304 with an empty body) returned."""

    requested_url: str
    url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    max_age_seconds: float | None
    body_sha256: str


def _format_seconds(seconds: float) -> str:
    """Return ``15`` for 15.0 and ``0.5`` for 0.5, for use in a sentence."""
    return f"{seconds:g}"


def _status_phrase(status: int) -> str:
    """Return e.g. ``404 Not Found`` (or just the number when the status is unknown)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _clamped(seconds: float) -> float:
    """Return ``seconds`` within 0 and ``MAX_HEADER_SECONDS``."""
    return min(max(seconds, 0.0), MAX_HEADER_SECONDS)


def _delta_seconds(text: str) -> float | None:
    """Return the clamped seconds of a header's number of seconds, or None for garbage."""
    if not _DELTA_SECONDS.fullmatch(text):
        return None
    if len(text) > 9:  # far more than a day, and int() refuses 4,300 digits and more
        return MAX_HEADER_SECONDS
    return _clamped(float(int(text)))


def _http_date(text: str) -> datetime | None:
    """Return an HTTP date as an aware datetime, or None when it is not one."""
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta or HTTP date, at most a
    day), or None when it says nothing usable."""
    if not value:
        return None
    value = value.strip()
    seconds = _delta_seconds(value)
    if seconds is not None:
        return seconds
    when = _http_date(value)
    if when is None:
        return None
    now = now or datetime.now(UTC)
    return _clamped((when - now).total_seconds())


def parse_max_age(headers: CIMultiDictProxy[str] | dict[str, str]) -> float | None:
    """Return the freshness lifetime from Cache-Control or Expires/Date; 0 for no-cache."""
    cache_control = headers.get("Cache-Control")
    if cache_control:
        directives: dict[str, str] = {}
        for part in cache_control.split(","):
            name, _, argument = part.strip().partition("=")
            directives[name.strip().lower()] = argument.strip().strip('"')
        if "no-store" in directives or "no-cache" in directives:
            return 0.0
        for name in ("s-maxage", "max-age"):
            if name in directives:
                seconds = _delta_seconds(directives[name])
                if seconds is not None:
                    return seconds
    expires = headers.get("Expires")
    if expires is None:
        return None
    expires_at = _http_date(expires)
    if expires_at is None:
        return 0.0  # An invalid Expires (often "0" or "-1") means "already expired".
    sent_at = _http_date(headers.get("Date") or "") or datetime.now(UTC)
    return _clamped((expires_at - sent_at).total_seconds())


def _http_error(status: int, host: str, retry_after: float | None) -> FetchError:
    """Build the sentence a server admin sees for an HTTP error status."""
    said = f"The site {host} answered {_status_phrase(status)}"
    if status in (404, 410):
        message = f"{said}: check the address; the feed may have moved or been removed."
    elif status in (401, 403):
        message = f"{said}: it refuses Newsdesk, perhaps it needs a login or blocks bots."
    elif status == 429:
        message = f"{said}: it asks Newsdesk to slow down, so Newsdesk will wait and retry."
    elif status >= 500:
        message = f"{said}: the problem is on the site's side; Newsdesk will try again later."
    else:
        message = f"{said}: check the address, or ask the site why it refuses the request."
    return FetchError(message, retry_after=retry_after)


class _BodyReader:
    """Read a response body with caps on the wire size and on the decoded size."""

    def __init__(self, encoding: str, cap: int, host: str) -> None:
        self._cap = cap
        self._host = host
        self._wire_bytes = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._digest = hashlib.sha256()
        self._decoder: zlib._Decompress | None = None
        self._raw_deflate_fallback = encoding == "deflate"
        if encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj(wbits=zlib.MAX_WBITS)

    def too_big_error(self) -> FetchError:
        """Return the error for a body over the cap."""
        megabytes = self._cap / (1024 * 1024)
        return FetchError(
            f"The feed at {self._host} is larger than Newsdesk's limit of {megabytes:g} MB: "
            "use a smaller feed, such as one for a single section of the site."
        )

    def _corrupt(self) -> FetchError:
        return FetchError(
            f"The site {self._host} sent a damaged compressed response; "
            "Newsdesk will try again later."
        )

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._cap:
            raise self.too_big_error()
        self._parts.append(data)
        self._digest.update(data)

    def _decode(self, data: bytes) -> None:
        assert self._decoder is not None
        try:
            out = self._decoder.decompress(data, self._cap - self._size + 1)
        except zlib.error:
            if not self._raw_deflate_fallback or self._wire_bytes != len(data):
                raise self._corrupt() from None
            self._raw_deflate_fallback = False  # Servers often send raw deflate, not zlib.
            self._decoder = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
            self._decode(data)
            return
        self._keep(out)
        while self._decoder.unconsumed_tail:
            room = self._cap - self._size + 1  # Never 0: zlib reads 0 as "no limit".
            self._keep(self._decoder.decompress(self._decoder.unconsumed_tail, room))

    def feed(self, data: bytes) -> None:
        """Take one chunk from the wire."""
        self._wire_bytes += len(data)
        if self._wire_bytes > self._cap:
            raise self.too_big_error()
        if self._decoder is None:
            self._keep(data)
        else:
            self._decode(data)

    def finish(self) -> tuple[bytes, str]:
        """Return the whole decoded body and its SHA-256 hex digest."""
        if self._decoder is not None:
            try:
                self._keep(self._decoder.flush())
            except zlib.error:
                raise self._corrupt() from None
        return b"".join(self._parts), self._digest.hexdigest()


def _host_can_exist(raw_host: str) -> bool:
    """Return whether a URL's (ASCII) host could be looked up: an IP literal, or a name of
    labels of 1 to 63 letters, digits and hyphens (underscores too, as some sites use them),
    at most 253 characters. (A damaged ``xn--`` label fails earlier, when yarl decodes it.)"""
    if literal_ip_host(raw_host) is not None:
        return True
    name = raw_host[:-1] if raw_host.endswith(".") else raw_host
    if not name or len(name) > _HOST_NAME_LIMIT:
        return False
    return all(
        0 < len(label) <= _HOST_LABEL_LIMIT and _HOST_LABEL.fullmatch(label)
        for label in name.split(".")
    )


@dataclass
class _HostSlots:
    slots: asyncio.Semaphore
    users: int = 0


class SlotPool:
    """At most ``total`` fetches at once, and ``per_host`` of them against one host.

    A fetch waits for its host's slot before an overall one, so a slot is only ever held by
    a request in flight (never by one queued behind its host). A host's semaphore exists only
    while a fetch holds or awaits it: the map holds the hosts of the fetches under way, not
    every host ever fetched.
    """

    def __init__(self, total: int, per_host: int) -> None:
        self.total = total
        self._per_host = per_host
        self._slots = asyncio.Semaphore(total)
        self._hosts: dict[str, _HostSlots] = {}
        self._in_use = 0

    @property
    def in_use(self) -> int:
        """How many fetches hold an overall slot now."""
        return self._in_use

    @property
    def hosts_known(self) -> int:
        """How many hosts the pool holds a semaphore for now."""
        return len(self._hosts)

    def is_full(self, host: str) -> bool:
        """Whether a fetch of ``host`` would wait for one of its host's slots now (every one
        taken or awaited already)."""
        entry = self._hosts.get(host)
        return entry is not None and entry.users >= self._per_host

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Hold one of ``host``'s slots and one overall slot."""
        entry = self._hosts.get(host)
        if entry is None:
            entry = self._hosts[host] = _HostSlots(asyncio.Semaphore(self._per_host))
        entry.users += 1
        try:
            async with entry.slots, self._slots:
                self._in_use += 1
                try:
                    yield
                finally:
                    self._in_use -= 1
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._hosts[host]


class Fetcher:
    """Fetch URLs politely and safely; see the module docstring for the rules."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: FetchSettings,
        *,
        pool: SlotPool | None = None,
        on_demand_pool: SlotPool | None = None,
    ) -> None:
        self._session = session
        self._settings = settings
        self.pool = pool or SlotPool(settings.global_limit, settings.per_host_limit)
        self._on_demand_pool = on_demand_pool or SlotPool(settings.on_demand_limit, 1)
        self._on_demand: Fetcher | None = None

    @property
    def on_demand(self) -> Fetcher:
        """The fetcher for what members trigger: same session and rules, its own slots."""
        if self.pool is self._on_demand_pool:
            return self
        if self._on_demand is None:
            self._on_demand = Fetcher(
                self._session, self._settings,
                pool=self._on_demand_pool, on_demand_pool=self._on_demand_pool,
            )
        return self._on_demand

    @staticmethod
    def create_session(settings: FetchSettings) -> aiohttp.ClientSession:
        """Create the one ``ClientSession`` for the app, with the address guard and limits."""
        resolver = (
            None if settings.allow_private_addresses
            else PublicOnlyResolver(allowed_origins=settings.allowed_private_origins)
        )
        # Room for both pools' connections, so a member's fetch never waits on a poller's.
        connector = aiohttp.TCPConnector(
            resolver=resolver,
            limit=settings.global_limit + settings.on_demand_limit,
            limit_per_host=settings.per_host_limit + 1,
        )
        return aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds),
            auto_decompress=True,
            trust_env=False,
        )

    def _checked_url(self, url: str | URL) -> URL:
        """Parse ``url`` and refuse anything but public http(s) addresses."""
        try:
            parsed = url if isinstance(url, URL) else URL(url)
            # yarl decodes the host and checks the port only when asked: ask now, so a
            # damaged address fails here and not inside the request.
            parsed.host  # noqa: B018
            parsed.port  # noqa: B018
        except (TypeError, ValueError):  # UnicodeError is a ValueError
            raise FetchError(INVALID_ADDRESS_MESSAGE) from None
        if parsed.scheme not in ("http", "https"):
            raise FetchError(
                "Only http and https addresses can be followed: "
                "paste an address that starts with https:// or http://."
            )
        if not parsed.host:
            raise FetchError(
                "That web address has no site name in it: paste the full address, "
                "starting with https://."
            )
        if not _host_can_exist(parsed.raw_host or ""):
            raise FetchError(INVALID_SITE_NAME_MESSAGE)
        if not self._may_reach_private(parsed):
            try:
                refuse_private_literal_host(parsed.host)
            except PrivateAddressRefused:
                raise FetchError(PRIVATE_ADDRESS_MESSAGE) from None
        return parsed

    def host_is_full(self, url: str) -> bool:
        """Whether fetching ``url`` now would wait for a slot of its host: a caller with
        other work (the poller, with feeds of other hosts) can do that first. False for an
        address that cannot be read (its fetch fails at once)."""
        try:
            host = URL(url).host or ""
        except (TypeError, ValueError):
            return False
        return self.pool.is_full(host)

    def _may_reach_private(self, url: URL) -> bool:
        settings = self._settings
        return settings.allow_private_addresses or (
            (url.host or "", url.port or 0) in settings.allowed_private_origins
        )

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch ``url`` (conditionally when validators are given) and return the result.

        Raises:
            FetchError: for any network or HTTP problem, with a sentence for the admin.
        """
        current = self._checked_url(url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        budget = self._settings.timeout_seconds
        seen = {str(current)}
        for _hop in range(self._settings.max_redirects + 1):
            host = current.host or ""
            async with self.pool.hold(host):
                started = time.monotonic()
                try:
                    async with asyncio.timeout(max(budget, 0.0)):
                        outcome = await self._request_once(url, current, headers)
                except TimeoutError:
                    log.debug("fetch timed out url=%s", current)
                    raise FetchError(
                        f"The site {host} did not answer within "
                        f"{_format_seconds(self._settings.timeout_seconds)} seconds: it may be "
                        "slow or down; Newsdesk will try again later."
                    ) from None
                except (aiohttp.ClientError, OSError) as error:
                    raise self._network_error(error, current) from None
                except ValueError as error:  # UnicodeError included: the address, at the socket
                    log.debug("fetch refused url=%s", current, exc_info=error)
                    raise FetchError(INVALID_ADDRESS_MESSAGE) from None
                budget -= time.monotonic() - started
            if isinstance(outcome, FetchResult):
                return outcome
            current = self._checked_url(outcome)
            if str(current) in seen:
                raise FetchError(
                    f"The site {host} redirects in a loop: check the address in a web browser."
                )
            seen.add(str(current))
        raise FetchError(
            f"The address {url} redirects more than {self._settings.max_redirects} times: "
            "open it in a browser and use the address it finally shows."
        )

    async def _request_once(
        self, requested_url: str, url: URL, headers: dict[str, str]
    ) -> FetchResult | URL:
        """Make one GET; return the result, or the URL a redirect points to."""
        host = url.host or ""
        async with self._session.get(
            url, headers=headers, allow_redirects=False, auto_decompress=False
        ) as response:
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(
                        f"The site {host} redirected without saying where to: "
                        "check the address in a web browser."
                    )
                try:
                    target = url.join(URL(location))
                    target.port  # noqa: B018 (validates the port, raising on 99999)
                except (ValueError, TypeError):
                    raise FetchError(
                        f"The site {host} redirected to an address that is not valid: "
                        "check the address in a web browser."
                    ) from None
                return target
            retry_after = None
            if response.status in (429, 503):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status >= 400:
                raise _http_error(response.status, host, retry_after)
            if response.status not in (200, 304):
                raise FetchError(
                    f"The site {host} answered {_status_phrase(response.status)} instead of "
                    "sending the feed: check the address."
                )
            body, digest = b"", ""
            if response.status == 200:
                body, digest = await self._read_body(response, host)
            return FetchResult(
                requested_url=requested_url,
                url=str(url),
                status=response.status,
                body=body,
                content_type=response.headers.get("Content-Type"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                max_age_seconds=parse_max_age(response.headers),
                body_sha256=digest,
            )

    async def _read_body(self, response: aiohttp.ClientResponse, host: str) -> tuple[bytes, str]:
        """Read the body in chunks under the size caps and decode its compression."""
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise FetchError(
                f"The site {host} sent its feed in a compression ({encoding}) Newsdesk "
                "cannot read; ask the site to offer gzip."
            )
        reader = _BodyReader(encoding, self._settings.max_body_bytes, host)
        declared = response.content_length
        if declared is not None and declared > self._settings.max_body_bytes:
            raise reader.too_big_error()
        async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
            reader.feed(chunk)
        return reader.finish()

    def _network_error(self, error: Exception, url: URL) -> FetchError:
        """Turn an aiohttp exception into a ``FetchError`` sentence, logging the original."""
        log.debug("fetch failed url=%s", url, exc_info=error)
        host = url.host or str(url)
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, PrivateAddressRefused):
                return FetchError(PRIVATE_ADDRESS_MESSAGE)
            cause = cause.__cause__ or getattr(cause, "os_error", None)
        if isinstance(error, aiohttp.ClientConnectorDNSError):
            return FetchError(
                f"Newsdesk could not find the site {host}: check the address for typos."
            )
        if isinstance(error, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
            return FetchError(
                f"The site {host} has an invalid security certificate, so Newsdesk will not "
                "trust it; try the http address or tell the site."
            )
        if isinstance(error, aiohttp.ClientConnectorError):
            return FetchError(
                f"Newsdesk could not connect to {host}: the site may be down; "
                "Newsdesk will try again later."
            )
        if isinstance(error, aiohttp.InvalidURL):
            return FetchError(INVALID_ADDRESS_MESSAGE)
        return FetchError(
            f"The connection to {host} broke off before the feed arrived; "
            "Newsdesk will try again later."
        )
