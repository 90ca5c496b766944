"""The phrasing corpus: questions as team leads ask them, and what each must be read as.

Each row is ``(question, intent, expected)``; ``expected`` may name the period bounds
(``since``/``until``, with today = 2026-03-11, a Wednesday), an entity (``provider``,
``model``, ``team``, ``project``), a ``breakdown``, the first ``number``, how it was found
(``how``: keyword, typo, ambiguous, unmatched), the ``candidates`` of a "Did you mean", or,
for a follow-up, the question it ``after``s. ``intent`` None means no intent was chosen.
"""

from __future__ import annotations

from typing import Any

W7 = {"since": "2026-03-04", "until": "2026-03-11"}  # the default window: last 7 days
LAST_WEEK = {"since": "2026-03-02", "until": "2026-03-09"}
LAST_MONTH = {"since": "2026-02-01", "until": "2026-03-01"}
THIS_MONTH = {"since": "2026-03-01", "until": "2026-03-12"}
YESTERDAY = {"since": "2026-03-10", "until": "2026-03-11"}
LAST_30 = {"since": "2026-02-09", "until": "2026-03-11"}
LAST_14 = {"since": "2026-02-25", "until": "2026-03-11"}

Row = tuple[str, str | None, dict[str, Any]]

CORPUS: list[Row] = [
    # should_we_go_local
    ("should we go local?", "should_we_go_local", {"how": "keyword"}),
    ("Should we go local", "should_we_go_local", {}),
    ("shuold we go lcoal?", "should_we_go_local", {"how": "typo"}),
    ("is it time to run models locally?", "should_we_go_local", {}),
    ("local or cloud?", "should_we_go_local", {}),
    ("what about hybrid?", "should_we_go_local", {}),
    ("what's the verdict", "should_we_go_local", {}),
    ("should we self-host?", "should_we_go_local", {}),
    ("would on-prem be cheaper", "should_we_go_local", {}),
    ("what do you recommend", "should_we_go_local", {}),
    ("shoud we go locl", "should_we_go_local", {"how": "typo"}),
    # volume
    ("how many requests per day?", "volume", W7),
    ("how many requests last week?", "volume", LAST_WEEK),
    ("requests per day over the last 30 days", "volume", LAST_30),
    ("what is our volume this month", "volume", THIS_MONTH),
    ("usage yesterday", "volume", YESTERDAY),
    ("how busy were we last month", "volume", LAST_MONTH),
    ("traffic in the past 14 days", "volume", LAST_14),
    ("requets per day", "volume", {"how": "typo"}),
    ("how many openai requests", "volume", {"provider": "openai"}),
    ("requests per day by provider", "volume", {"breakdown": "provider", **W7}),
    # cost
    ("what did we spend last week?", "cost", LAST_WEEK),
    ("how much did we spend last month", "cost", LAST_MONTH),
    ("cloud bill this month", "cost", THIS_MONTH),
    ("what are our costs", "cost", W7),
    ("spend by team", "cost", {"breakdown": "team"}),
    ("spend per project last month", "cost", {"breakdown": "project", **LAST_MONTH}),
    ("how much did we pay anthropic yesterday", "cost", {"provider": "anthropic", **YESTERDAY}),
    ("what did gpt-4.1 cost us", "cost", {"model": "gpt-4.1"}),
    ("spnd last month", "cost", {"how": "typo", **LAST_MONTH}),
    ("how expensive is claude", "cost", {"provider": "anthropic"}),
    ("costs for team payments", "cost", {"team": "payments"}),
    ("what did we spend this year?", "cost", {"since": "2026-01-01", "until": "2026-03-12"}),
    ("spend in February", "cost", {"since": "2026-02-01", "until": "2026-03-01"}),
    ("spend since monday", "cost", {"since": "2026-03-09", "until": "2026-03-12"}),
    # models
    ("which models do we use", "models", W7),
    ("what models are we using last month?", "models", LAST_MONTH),
    ("model mix", "models", {}),
    ("which LLMs do we use", "models", {}),
    ("how much of it is frontier", "models", {}),
    ("wich modles", "models", {"how": "typo"}),
    ("models from anthropic", "models", {"provider": "anthropic"}),
    ("show models for proj_web", "models", {"project": "proj_web"}),
    # top_users
    ("who is using the most?", "top_users", W7),
    ("which team uses the most", "top_users", {}),
    ("top projects last month", "top_users", LAST_MONTH),
    ("top api keys", "top_users", {}),
    ("who are the heaviest users", "top_users", {}),
    ("biggest spenders this month", "top_users", THIS_MONTH),
    ("who uses claude the most", "top_users", {"provider": "anthropic"}),
    ("leaderboard", "top_users", {}),
    ("which project uses gpt-4.1-mini most", "top_users", {"model": "gpt-4.1-mini"}),
    # tokens
    ("tokens per day?", "tokens", W7),
    ("how many tokens last week", "tokens", LAST_WEEK),
    ("input and output tokens", "tokens", {}),
    ("token usage this month", "tokens", THIS_MONTH),
    ("cached tokens yesterday", "tokens", YESTERDAY),
    ("tokns per day", "tokens", {"how": "typo"}),
    ("tokens for openai", "tokens", {"provider": "openai"}),
    ("tokens used by gpt-4.1-mini", "tokens", {"model": "gpt-4.1-mini"}),
    # latency
    ("what's the latency?", "latency", W7),
    ("how fast are responses", "latency", {}),
    ("response time last week", "latency", LAST_WEEK),
    ("latnecy", "latency", {"how": "typo"}),
    ("what is the p95", "latency", {}),
    ("time to first token", "latency", {}),
    ("how slow is the local model", "latency", {}),
    # gpus
    ("are we saturated?", "gpus", W7),
    ("are the GPUs saturated?", "gpus", {}),
    ("how are our GPUs doing", "gpus", {}),
    ("gpu utilisation last week", "gpus", LAST_WEEK),
    ("GPU utilization yesterday", "gpus", YESTERDAY),
    ("any throttling?", "gpus", {}),
    ("are we at capacity", "gpus", {}),
    ("how hot are the graphics cards", "gpus", {}),
    ("are we satruated", "gpus", {"how": "typo"}),
    ("gpu utilisation by model", "gpus", {"breakdown": "model"}),
    # checklist
    ("show the checklist", "checklist", {}),
    ("is our code regulated?", "checklist", {}),
    ("who owns the GPUs?", "checklist", {}),
    ("who owns operations", "checklist", {}),
    ("what are the five points", "checklist", {}),
    ("what's our exit cost", "checklist", {}),
    ("what did we declare", "checklist", {}),
    ("chekclist", "checklist", {"how": "typo"}),
    ("who is responsible for the servers", "checklist", {}),
    # checklist_update
    ("our code is regulated", "checklist_update", {}),
    ("ops owner is the platform team", "checklist_update", {}),
    ("the platform team owns ops", "checklist_update", {}),
    ("nobody owns operations", "checklist_update", {}),
    ("set model size to mixed", "checklist_update", {}),
    ("exit cost is high: fine-tuned review model", "checklist_update", {}),
    ("our code for project proj_payments is regulated", "checklist_update", {}),
    ("our code is proprietary.", "checklist_update", {}),
    # break_even
    ("what is our break-even?", "break_even", {}),
    ("break even", "break_even", {}),
    ("when does local pay for itself", "break_even", {}),
    ("breakeven volume", "break_even", {}),
    ("at what volume does it pay off", "break_even", {}),
    ("brekaeven", "break_even", {"how": "typo"}),
    # what_if
    ("what if we had 3,000 requests a day?", "what_if", {"number": 3000}),
    ("what if we had 3k requests per day", "what_if", {"number": 3000}),
    ("what if we had 3 000 requests per day", "what_if", {"number": 3000}),
    ("what if we had 1.5M requests a day", "what_if", {"number": 1500000}),
    ("what if we bought an 8xH100 node?", "what_if", {}),
    ("what if cloud prices rose 30%?", "what_if", {"number": 30}),
    ("what if electricity cost $0.25", "what_if", {"number": "0.25"}),
    ("suppose we had 12k requests a day", "what_if", {"number": 12000}),
    ("what if we had 1e400 requests a day", "what_if", {"number": None}),
    ("waht if we had 2,000 requests a day", "what_if", {"how": "typo", "number": 2000}),
    # compare
    ("compare cloud and local", "compare", {}),
    ("cloud vs local", "compare", {}),
    ("pros and cons of local", "compare", {}),
    ("what are the trade-offs", "compare", {}),
    ("comparison please", "compare", {}),
    ("comapre", "compare", {"how": "typo"}),
    # savings
    ("how much would we save?", "savings", {}),
    ("what are the savings", "savings", {}),
    ("what is the payback", "savings", {}),
    ("tco of going local", "savings", {}),
    ("is it worth it", "savings", {}),
    ("savigns", "savings", {"how": "typo"}),
    # fit
    ("can we run llama 3 70b on our GPUs?", "fit", {}),
    ("does qwen 32b fit on one gpu", "fit", {}),
    ("enough vram for a 70b model", "fit", {}),
    ("would deepseek fit in memory", "fit", {}),
    ("can we serve qwen2.5-coder locally", "fit", {}),
    ("can we run qwen2.5 coder 32b on our gpus?", "fit", {"model": "qwen2.5-coder-32b"}),
    # forecast
    ("what will we spend by the end of the month?", "forecast", {}),
    ("forecast the spend", "forecast", {}),
    ("how fast is usage growing", "forecast", {}),
    ("what's the trend", "forecast", {}),
    ("projected volume next month", "forecast", {}),
    ("forcast", "forecast", {"how": "typo"}),
    # sources
    ("are the sources healthy?", "sources", {}),
    ("is the data up to date", "sources", {}),
    ("which collectors are failing", "sources", {}),
    ("any stale sources", "sources", {}),
    ("sorces", "sources", {"how": "typo"}),
    ("when was the last collection", "sources", {}),
    # alerts
    ("what alerts are firing?", "alerts", {}),
    ("any incidents", "alerts", {}),
    ("is anything firing", "alerts", {}),
    ("what's wrong", "alerts", {}),
    ("alrets", "alerts", {"how": "typo"}),
    ("open alarms", "alerts", {}),
    # help
    ("help", "help", {}),
    ("what can you do?", "help", {}),
    ("?", "help", {}),
    ("commands", "help", {}),
    ("what can I ask", "help", {}),
    # ambiguous and unmatched
    (
        "how much did we use last week?",
        None,
        {"how": "ambiguous", "candidates": ["cost", "volume"]},
    ),
    ("how much last month", None, {"how": "ambiguous", "candidates": ["cost", "volume"]}),
    ("status", None, {"how": "ambiguous", "candidates": ["sources", "alerts"]}),
    ("what is the meaning of life", None, {"how": "unmatched"}),
    ("tell me a joke", None, {"how": "unmatched"}),
    ("сколько запросов?", None, {"how": "unmatched"}),
    # follow-ups (each after the question in "after")
    ("and last month?", "cost", {"after": "what did we spend last week?", **LAST_MONTH}),
    ("and yesterday?", "volume", {"after": "how many requests last week?", **YESTERDAY}),
    ("by team?", "cost", {"after": "what did we spend last week?", "breakdown": "team"}),
    (
        "what about Anthropic?",
        "cost",
        {"after": "what did openai cost last week?", "provider": "anthropic", **LAST_WEEK},
    ),
    ("and by project", "top_users", {"after": "who is using the most?", "breakdown": "project"}),
    (
        "what about gpt-4.1-mini?",
        "tokens",
        {"after": "tokens for gpt-4.1 last month", "model": "gpt-4.1-mini", **LAST_MONTH},
    ),
    ("and the last 30 days?", "models", {"after": "which models do we use", **LAST_30}),
    ("how about last week", "gpus", {"after": "are we saturated?", **LAST_WEEK}),
    (
        "and this year?",
        "cost",
        {"after": "spend in February", "since": "2026-01-01", "until": "2026-03-12"},
    ),
    ("and for openai?", "models", {"after": "models from anthropic", "provider": "openai"}),
    ("and the latency?", "latency", {"after": "what did we spend last week?"}),
    # a question of its own is not taken for a follow-up because it names a period
    (
        "how much did we use last week?",
        None,
        {"after": "who owns the GPUs?", "how": "ambiguous", "candidates": ["cost", "volume"]},
    ),
    # a declaration is never repeated by a follow-up
    ("yesterday?", None, {"after": "ops owner is the platform team", "how": "unmatched"}),
    ("what about hybrid?", "should_we_go_local", {"after": "what did we spend last week?"}),
]


def counts_per_intent() -> dict[str, int]:
    """How many phrasings the corpus has per intent (None counted as 'clarify/unmatched')."""
    counts: dict[str, int] = {}
    for _question, intent, _expected in CORPUS:
        name = intent or "clarify/unmatched"
        counts[name] = counts.get(name, 0) + 1
    return counts
