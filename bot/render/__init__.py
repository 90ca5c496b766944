"""Rendering: replies, digests and alerts as text, Slack Block Kit, and chart images."""
