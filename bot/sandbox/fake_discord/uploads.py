"""Files a person attaches to a slash command (ATTACHMENT options, type 11).

Rules:
- a typed ATTACHMENT value is a local file path, relative to the current
  directory or absolute (`~` is expanded); tests may pass bytes instead,
  as `files={"option": ("name.ext", b"...")}`;
- a missing path, a directory, or a file over Discord's 10 MiB upload limit
  is an `UploadError` whose message is a sentence to show a person;
- every upload gets a fresh snowflake and is served, unauthenticated like
  Discord's CDN, at `{root}/attachments/{id}/{filename}`; uploads are kept
  for the sandbox's lifetime;
- the content type is guessed from the file name (`.opml` is
  `text/x-opml`), falling back to `application/octet-stream`.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bot.sandbox.fake_discord.payloads import JSON, SnowflakeFactory, attachment_payload
from bot.sandbox.fake_discord.payloads.interactions import ATTACHMENT_SIZE_LIMIT

FileSource = tuple[str, bytes]
EXTRA_TYPES = {".opml": "text/x-opml", ".md": "text/markdown", ".jsonl": "application/jsonl"}


class UploadError(ValueError):
    """The file cannot be attached; str(error) is a sentence."""


@dataclass(frozen=True)
class Upload:
    """One attached file, as the sandbox serves it."""

    id: int
    filename: str
    data: bytes
    content_type: str
    url: str

    def payload(self) -> JSON:
        """The attachment object for an interaction's `resolved.attachments`."""
        return attachment_payload(
            self.id,
            self.filename,
            self.data,
            self.url,
            content_type=self.content_type,
            ephemeral=True,
        )


def content_type_for(filename: str) -> str:
    """The MIME type Discord would report for a file name."""
    suffix = Path(filename).suffix.lower()
    if suffix in EXTRA_TYPES:
        return EXTRA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def read_local_file(raw: str) -> FileSource:
    """Read a typed path (relative to the current directory) as (filename, bytes)."""
    path = Path(raw).expanduser()
    shown = path if path.is_absolute() else Path.cwd() / path
    if not path.is_file():
        raise UploadError(f"there is no file {raw} (looked for {shown}).")
    data = path.read_bytes()
    check_size(path.name, data)
    return path.name, data


def check_size(filename: str, data: bytes) -> None:
    """Refuse a file over Discord's upload limit."""
    if len(data) > ATTACHMENT_SIZE_LIMIT:
        limit_mib = ATTACHMENT_SIZE_LIMIT // (1024 * 1024)
        raise UploadError(f"{filename} is larger than Discord's {limit_mib} MiB upload limit.")


class UploadStore:
    """Every attached file, by id."""

    def __init__(self, snowflakes: SnowflakeFactory) -> None:
        self._snowflakes = snowflakes
        self._uploads: dict[int, Upload] = {}
        self.base_url = ""

    def add(self, source: FileSource) -> Upload:
        """Store a file and give it an id and URL."""
        filename, data = source
        check_size(filename, data)
        upload_id = self._snowflakes.next()
        url = f"{self.base_url}/{upload_id}/{quote(filename)}"
        upload = Upload(upload_id, filename, bytes(data), content_type_for(filename), url)
        self._uploads[upload_id] = upload
        return upload

    def get(self, upload_id: int) -> Upload | None:
        """The upload with this id, if any."""
        return self._uploads.get(upload_id)
