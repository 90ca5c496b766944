"""The Slack face of golocal: an app factory, listeners by kind, HTTP and Socket Mode serving.

Nothing here connects to Slack at import time: :func:`golocal.bot.slack.app.create_app` builds
the Bolt app when ``golocal run`` asks for it.
"""
