"""``python -m bot``: the same as the ``newsdesk`` command."""

from bot.cli import main

raise SystemExit(main())
