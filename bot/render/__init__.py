"""Rendering: digest and alert messages as text, Slack Block Kit, and chart images."""
