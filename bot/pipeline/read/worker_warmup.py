"""Imported by the reading pool's workers (and by the forkserver they are forked from) before
their first job, never by the bot itself: reading one sample page here loads what extraction
loads lazily, so a page's deadline counts reading it, not warming up."""

from bot.pipeline.read.page_reading import warm_up

warm_up()
