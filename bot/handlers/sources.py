"""The sources intent: which data sources are healthy, stale, failing or not configured."""

from __future__ import annotations

from golocal.bot.chat import intent
from golocal.bot.replies import Reply
from golocal.bot.screening import excerpt
from golocal.bot.services import Services

_ORDER = ("failing", "stale", "never_collected", "ok", "not_configured")
_WORDS = {
    "failing": "failing",
    "stale": "stale",
    "never_collected": "never collected",
    "ok": "healthy",
    "not_configured": "not configured",
}


@intent("sources")
def answer_sources(question: str, services: Services) -> Reply:
    """Every source grouped by health, failures with their last error (short)."""
    now = services.now()
    # imported here: it pulls in every collector, and the chat loads all handlers to match
    from golocal.jobs.source_health import source_rows

    rows = source_rows(services.settings, services.database, now)
    counts = {state: sum(1 for r in rows if r["health"] == state) for state in _ORDER}
    configured = [r for r in rows if r["configured"]]
    summary = ", ".join(f"{counts[s]} {_WORDS[s]}" for s in _ORDER if counts[s])
    lines = [f"Sources as of {now:%Y-%m-%d %H:%M} UTC: {summary or 'none known'}."]
    for row in rows:
        state = row["health"]
        if state == "not_configured":
            continue
        line = f"• {row['source']} ({row['kind'] or 'source'}): {_WORDS[state]}"
        if row["last_success_at"]:
            line += f", last success {row['last_success_at'][:16]}Z"
        if state == "failing":
            # errors are golocal's own one-line messages; quoted short all the same
            error = excerpt(row["last_error"] or "", 120)
            line += f", {row['consecutive_failures']} failure(s): {error}"
        lines.append(line)
    if not configured:
        lines.append(
            "No source is configured: set an admin key (e.g. OPENAI_ADMIN_KEY) or list local "
            "servers in the TOML file; `golocal sources` shows what each one needs."
        )
    stale = services.settings.alerts.stale_minutes
    lines.append(f"Stale = no success for {stale} minutes ([alerts] stale_minutes).")
    return Reply("sources", "\n".join(lines), {"sources": rows, "counts": counts})


INTENTS = [answer_sources]
