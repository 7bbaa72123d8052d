"""The offline sandbox: a local Discord for tests and newcomers.

``bot.sandbox.fake_discord`` is the Discord-compatible server (REST + gateway) and imports
nothing from the bot; the modules beside it are the newcomer's side: the console
(``newsdesk sandbox``) with its session log, terminal display, ``:help`` and ``--html`` page,
the runner that starts the real bot against the fake Discord, and the demo newswire.
Nothing here is imported by ``newsdesk run``.
"""
