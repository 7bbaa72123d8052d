"""``newsdesk copies FILE...``: group article files into copies of the same article.

Rules:

- Each FILE is an HTML page (its main text is compared) or a plain-text file (compared as
  it is), told apart by content (:func:`bot.pipeline.story.copies.page_text.looks_like_html`).
- Output: one JSON object on stdout, ``{"groups": [[file, ...], ...]}``, with every file
  given exactly once (a file named twice is read once), spelled as given on the command line;
  files in one group carry the same article (:mod:`bot.pipeline.story.copies.grouping`);
  two pages declaring canonical addresses on one site are never grouped, and text a site
  repeats across its pages does not count (:mod:`bot.pipeline.story.copies.boilerplate`).
- Exit status 0 on success; 2, with one sentence on stderr and nothing on stdout, when no
  file is given or a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from bot.pipeline.story.copies.grouping import group_copies
from bot.pipeline.story.copies.page_text import read_article_file

USAGE_EXIT = 2


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``copies`` subcommand's arguments."""
    parser = argparse.ArgumentParser(
        prog="newsdesk copies",
        description="Group article files (HTML pages or plain text) into copies of one article.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="an HTML page or a text file")
    return parser


def read_texts(names: list[str]) -> tuple[dict[str, str], dict[str, str | None]]:
    """Return the article text and the site of every named file; raise ``OSError`` on the
    first failure."""
    texts: dict[str, str] = {}
    sites: dict[str, str | None] = {}
    for name in names:
        if name not in texts:
            texts[name], sites[name] = read_article_file(Path(name))
    return texts, sites


def run_copies_command(
    argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run ``newsdesk copies`` with ``argv`` (the arguments after ``copies``); return the status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else USAGE_EXIT
    try:
        texts, sites = read_texts(args.files)
    except OSError as error:
        name = error.filename if error.filename is not None else "a file"
        reason = error.strerror or str(error)
        print(f"newsdesk copies: cannot read {name}: {reason}.", file=err)
        return USAGE_EXIT
    json.dump({"groups": group_copies(texts, sites=sites)}, out, ensure_ascii=False)
    out.write("\n")
    return 0
