"""Every intent the chat understands: its id, keyword patterns, example and summary — one table.

The table is the single place to read (or change) what the bot understands. Order is
priority: the first intent whose pattern matches wins, so the more specific intents come
first ("what if we had 3,000 requests a day?" is a what-if, not a volume question; "who owns
the GPUs?" asks for the ops owner, not the utilisation). ``phrasings`` are typical whole
questions, used only by the fuzzy fallback when no pattern matches. The ids are the
``intent`` key of ``golocal ask --json`` and a stable contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class IntentSpec:
    """One row of the table."""

    id: str
    #: what the help says it answers
    summary: str
    #: a question that reaches it (the help shows it; the corpus test asks it)
    example: str
    patterns: tuple[re.Pattern[str], ...]
    phrasings: tuple[str, ...]
    #: how a "Did you mean …?" names it ("the spend", "the volume")
    label: str


def _spec(
    id: str,
    label: str,
    summary: str,
    example: str,
    patterns: tuple[str, ...],
    phrasings: tuple[str, ...] = (),
) -> IntentSpec:
    compiled = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    return IntentSpec(id, summary, example, compiled, (example, *phrasings), label)


INTENT_TABLE: tuple[IntentSpec, ...] = (
    _spec(
        "help",
        "the help",
        "what I understand, with an example of each",
        "help",
        (
            r"^(help|\?+|h|commands|usage\?|menu)$",
            r"^what (can|do) you (do|understand|know)\b",
            r"^(how do i use (this|you)|what questions can i ask)\b",
        ),
        ("what can you do", "what can I ask"),
    ),
    _spec(
        "checklist_update",
        "a checklist answer change",
        "declare a checklist answer (console, `golocal ask`; Slack admins only)",
        "our code is regulated",
        (
            r"^(?:please |fyi,? |note(?: that)?:? )?(?:set |record |declare )?(?:all of )?"
            r"(?:our|the) code (?:(?:for|of|in) (?:project |team )?\S+ )?(?:is|=) "
            r"(?:now )?(?:regulated|proprietary|public|open source)\b",
            r"^(?:please )?(?:set |change |update )?(?:the |our )?(?:ops|operations) owner"
            r"(?: to| is| =|:) ",
            r"^(?:please )?(?:set |change |update )?(?:the |our )?model size(?: to| is| =|:) ",
            r"^(?:please )?(?:set |change |update )?(?:the |our )?exit cost(?: to| is| =|:) ",
            r"^(?:please )?(?:set |change |update )?(?:the |our )?code location(?: to| is| =|:) ",
            r"^(?:nobody|no one|noone) (?:owns|runs) (?:the )?(?:ops|operations|local inference)",
            r"^(?!(?:who|what|which|does|do|is|are)\b)(?:the )?[\w\s-]{1,40} (?:team )?owns? "
            r"(?:the )?(?:ops|operations)\b",
        ),
        ("ops owner is the platform team", "set model size to mixed"),
    ),
    _spec(
        "what_if",
        "a what-if",
        "rerun the cost model with a changed volume, hardware or price",
        "what if we had 3,000 requests a day?",
        (r"\bwhat if\b", r"\bwhat would happen if\b", r"\bsuppose\b", r"\bimagine\b"),
        ("what if we bought an 8xH100 node", "what if cloud prices rose 30%"),
    ),
    _spec(
        "fit",
        "the model fit",
        "whether a model fits (and how fast it runs) on our GPUs",
        "can we run llama 3 70b on our GPUs?",
        (
            r"\bcan (?:we|i|our \w+) (?:run|serve|host|fit|load)\b",
            r"\b(?:does|would|will|could) .{1,60}\bfit\b",
            r"\bfits? (?:on|in|into)\b",
            r"\benough (?:vram|gpu memory|memory)\b",
            r"\bhow many gpus (?:do we need|would we need|for)\b",
        ),
        ("does qwen 32b fit on one gpu", "enough vram for a 70b model"),
    ),
    _spec(
        "forecast",
        "the forecast",
        "where spend and volume are heading (end of month, next months)",
        "what will we spend by the end of the month?",
        (
            r"\bforecast",
            r"\bpredict",
            r"\bprojection\b|\bprojected\b",
            r"\btrend(?:s|ing)?\b",
            r"\bwill we (?:spend|reach|hit|need|use)\b",
            r"\bwhen (?:will|do|would) we (?:pass|cross|reach|hit|exceed|get to|go over)\b",
            r"\bend of (?:the )?(?:month|quarter|year)\b",
            r"\bnext (?:month|quarter|year)\b",
            r"\bheading\b|\bgrowth\b|\bgrowing\b",
        ),
        ("forecast the spend", "how fast is usage growing"),
    ),
    _spec(
        "savings",
        "the savings",
        "what going local would save, payback and total cost of ownership",
        "how much would we save?",
        (
            r"\bsav(?:e|es|ed|ing|ings)\b",
            r"\bpayback\b|\bpay back\b",
            r"\btco\b|\btotal cost of ownership\b",
            r"\bworth it\b",
        ),
        ("what are the savings", "what is the payback"),
    ),
    _spec(
        "break_even",
        "the break-even",
        "the volume at which local hardware pays for itself",
        "what is our break-even?",
        (r"\bbreak[- ]?even\b", r"\bpay (?:for itself|off)\b", r"\bbreakeven\b"),
        ("at what volume does local pay off",),
    ),
    _spec(
        "compare",
        "the comparison",
        "cost, latency, IP risk, compliance, maintenance, model choice, burst capacity",
        "compare cloud and local",
        (
            r"\bcompar(?:e|ison)\b",
            r"\b(?:cloud|local)\s+(?:vs\.?|versus)\s+(?:cloud|local)\b",
            r"\bpros and cons\b",
            r"\btrade-?offs?\b",
            r"\bdifference between (?:cloud|local)\b",
        ),
        ("cloud vs local", "pros and cons of local"),
    ),
    _spec(
        "should_we_go_local",
        "the verdict",
        "the verdict — cloud, local or hybrid — with the five-point checklist",
        "should we go local?",
        (
            r"\bgo(?:ing)?\s+local\b",
            r"\b(?:run|move|host)\b.*\blocal(?:ly)?\b",
            r"\bshould we\b.*\b(?:local|cloud|on[- ]?prem|self[- ]?host)",
            r"\blocal or (?:the )?cloud\b",
            r"\bcloud or local\b",
            r"\bverdict\b",
            r"\brecommend",
            r"\blocal\b.*\bcheaper\b",
            r"\bcheaper\b.*\blocal(?:ly)?\b",
            r"\bhybrid\b",
            r"\bon[- ]?prem(?:ise)?s?\b",
            r"\bself[- ]?host",
        ),
        ("should we move inference on prem", "is local worth considering"),
    ),
    _spec(
        "checklist",
        "the checklist",
        "the five points and the declared answers, with who answered and when",
        "show the checklist",
        (
            r"\bchecklist\b",
            r"\bfive points\b|\b5 points\b",
            r"\bis (?:our|the) code (?:regulated|proprietary|public|sensitive)\b",
            r"\bwho (?:owns|runs|operates|maintains|is responsible for|looks after)\b",
            r"\b(?:ops|operations) owner\b",
            r"\bexit cost\b",
            r"\bcode location\b",
            r"\bmodel size\b",
            r"\bdeclared\b|\bour answers\b",
            r"\bregulated\b|\bcompliance\b|\bgdpr\b",
        ),
        ("what did we declare", "who owns operations"),
    ),
    _spec(
        "alerts",
        "the alerts",
        "which alerts are firing now",
        "what alerts are firing?",
        (
            r"\balerts?\b|\balarms?\b",
            r"\bfiring\b",
            r"\bincidents?\b",
            r"\bwhat(?:'s| is) wrong\b|\bon fire\b|\banything broken\b",
        ),
        ("any incidents", "is anything firing"),
    ),
    _spec(
        "sources",
        "the sources",
        "which data sources are healthy, stale or failing",
        "are the sources healthy?",
        (
            r"\bsources?\b",
            r"\bcollectors?\b|\bcollection\b",
            r"\bstale\b",
            r"\bdata (?:fresh|up to date|current)\b|\bfresh(?:ness)?\b",
            r"\blast collect",
            r"\bintegrations?\b",
        ),
        ("is the data up to date", "which collectors are failing"),
    ),
    _spec(
        "latency",
        "the latency",
        "measured latency of the local inference servers (cloud latency is not reported)",
        "what's the latency?",
        (
            r"\blatenc",
            r"\bhow (?:fast|slow|quick)\b",
            r"\bresponse times?\b|\bresponse time\b",
            r"\bttft\b|\btime to first token\b",
            r"\bp(?:50|90|95|99)\b",
        ),
        ("how fast are responses", "how slow is the local model"),
    ),
    _spec(
        "top_users",
        "the top users",
        "who — which team, project or API key — uses the most, where sources say",
        "who is using the most?",
        (
            r"\bwho\b.*\b(?:most|biggest|heaviest|top|highest|largest)\b",
            r"\btop (?:[\d.,]\S* )?"
            r"(?:users?|teams?|projects?|keys?|api keys?|spenders?|consumers?)\b",
            r"\b(?:which|what) (?:team|project|key|user|api key|workspace)s?\b",
            r"\b(?:heaviest|biggest|largest) (?:users?|spenders?|consumers?|teams?|projects?)\b",
            r"\bwho(?:'s| is) using\b|\bwho uses\b|\bleaderboard\b",
        ),
        ("which team uses the most", "top api keys"),
    ),
    _spec(
        "cost",
        "the spend",
        "cloud spend by provider and model (by team, project or key on request)",
        "what did we spend last week?",
        (
            r"\bspen[dt]\b",
            r"\bspending\b",
            r"\bcosts?\b",
            r"\bcosting\b",
            r"\bbill(?:ed|ing)?\b",
            r"\bpaid\b|\bpay\b",
            r"\binvoices?\b",
            r"\bhow much money\b|\bdollars\b|\bmoney\b|\bexpensive\b",
        ),
        ("how much did we pay", "cloud bill this month"),
    ),
    _spec(
        "tokens",
        "the tokens",
        "tokens per day: input, cached input and output",
        "how many tokens per day?",
        (r"\btokens?\b",),
        ("token usage", "input and output tokens"),
    ),
    _spec(
        "models",
        "the models",
        "models in use: frontier or local-capable, share of requests and spend",
        "which models do we use?",
        (
            r"\bmodels?\b",
            r"\bllms?\b",
            r"\bfrontier\b|\blocal[- ]capable\b",
        ),
        ("what models are we using", "model mix"),
    ),
    _spec(
        "gpus",
        "the GPUs",
        "local GPU utilisation, saturation (yes/no, share of time), energy, throttling",
        "are we saturated?",
        (
            r"\bgpus?\b",
            r"\bsaturat",
            r"\bthrottl",
            r"\butili[sz]ation\b|\butili[sz]ed\b",
            r"\bvram\b",
            r"\b(?:at|near) capacity\b",
            r"\bgraphics cards?\b|\baccelerators?\b|\bcuda\b",
        ),
        ("how are our GPUs doing", "gpu utilisation"),
    ),
    _spec(
        "volume",
        "the volume",
        "daily request volume, cloud vs local, against the 500 / 2,000 thresholds",
        "how many requests per day?",
        (
            r"\brequests?\b",
            r"\bhow many (?:calls|completions)\b",
            r"\bvolume\b",
            r"\busage\b",
            r"\breqs?/day\b|\brequests?/day\b",
            r"\btraffic\b|\bhow busy\b",
        ),
        ("requests per day", "what is our volume"),
    ),
)

#: id → row
INTENTS_BY_ID: dict[str, IntentSpec] = {spec.id: spec for spec in INTENT_TABLE}

#: Questions that fit two intents equally: the bot asks instead of guessing.
AMBIGUOUS: tuple[tuple[re.Pattern[str], tuple[str, str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), pair)
    for pattern, pair in (
        (r"\bhow much (?:did|do|have|are|were) (?:we|you|they)\b(?! spen)", ("cost", "volume")),
        (r"^how much\b(?!.*\b(?:spen|cost|sav|token))", ("cost", "volume")),
        (r"\b(?:is|was) (?:it|that|this) (?:a lot|too much|high)\b", ("cost", "volume")),
        (r"\bhow (?:are|is) (?:we|things) doing\b", ("should_we_go_local", "volume")),
        (r"\bstatus\b", ("sources", "alerts")),
    )
)
