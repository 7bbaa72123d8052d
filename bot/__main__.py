"""``python -m bot``: the same as the ``newsdesk`` command."""

from bot.app.cli import main

raise SystemExit(main())
