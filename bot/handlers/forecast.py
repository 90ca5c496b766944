"""The forecast intent: "when will we pass 2,000 a day?", "what will we spend by month end?".

Answers from the verdict's own forecast (a weekly trend over the stored history, with its
80 % band), so chat, the verdict and the digest give the same weeks and amounts.
"""

from __future__ import annotations

from golocal.bot.chat import intent
from golocal.bot.handlers.advisor import data_note, evidence_for
from golocal.bot.handlers.verdict_lines import forecast_line
from golocal.bot.replies import Reply
from golocal.bot.services import Services
from golocal.jobs.framework import assess


@intent("forecast")
def answer_forecast(question: str, services: Services) -> Reply:
    """The crossing weeks of 500 and 2,000 a day, the month-end spend and the payback month."""
    result = assess(evidence_for(services), services.settings)
    line = forecast_line(result) or "Forecast: no history stored yet."
    data = {"forecast": None if result.forecast is None else result.forecast.as_json()}
    data["volume"] = {"mean_per_day": round(result.mean_per_day, 1)}
    return Reply("forecast", line + "\n" + data_note(result), data)


INTENTS = [answer_forecast]
