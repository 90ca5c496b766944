"""Renderers: a handler's :class:`~golocal.bot.replies.Reply` as Block Kit (and, later, charts)."""
