"""What a question must look like before it is read: bad input gets a short, clear reply.

Empty, over-long, binary, mixed-script (one word in two alphabets, the usual look-alike
trick) and injection-like input (markup, SQL, template or shell syntax, "ignore previous
instructions") is answered here, before any intent is matched. Nothing the user typed is ever
echoed unbounded: :func:`excerpt` quotes at most a short piece, with markup characters
removed, so no reply can carry a mention, a link or a formatting trick back out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: The longest question read. A real question is a sentence; anything longer is refused
#: unread (and never quoted back in full).
MAX_QUESTION_CHARS = 500
#: The longest piece of a user's text any reply quotes.
EXCERPT_CHARS = 40

# Characters an excerpt keeps: letters, digits, spaces and plain punctuation. Everything
# that means something to Slack mrkdwn, HTML or a terminal (<>&*_~`|@!#{}) is left out.
_EXCERPT_DROP = re.compile(r"[^\w\s.,;:?%$'’()/+=-]", re.UNICODE)

_INJECTION = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"<\s*/?\s*(script|iframe|img|svg|a|style|object)\b",  # HTML
        r"<!(channel|here|everyone)\b|<!subteam\^",  # Slack broadcasts
        r"\bignore (all |the )?(previous|prior|above) (instructions|prompts?)\b",
        r"\b(system|developer) prompt\b",
        r"('|\")\s*;?\s*(drop|delete|insert|update)\s+(table|from|into)\b",
        r"\bunion\s+select\b|\bor\s+1\s*=\s*1\b",
        r"\$\{[^}]*\}|\{\{[^}]*\}\}|\$\([^)]*\)|`[^`]*`",  # templates, shell
        r"\bjndi:",
    )
)


@dataclass(frozen=True, slots=True)
class Screened:
    """A question ready to read (``question``), or why it is refused (``problem``)."""

    question: str
    problem: str | None = None
    #: "empty", "too_long", "binary", "mixed_script", "injection"; None when readable
    kind: str | None = None


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, safe piece of user text to quote: markup removed, whitespace collapsed."""
    cleaned = " ".join(_EXCERPT_DROP.sub("", text[: limit * 4]).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def _is_binary(text: str) -> bool:
    """Control characters (other than whitespace), lone surrogates or unassigned code points."""
    odd = 0
    for char in text:
        category = unicodedata.category(char)
        if char in "\t\n\r":
            continue
        if category in {"Cc", "Cs", "Co", "Cn"}:
            odd += 1
    return odd > 0


def _script(char: str) -> str | None:
    """The alphabet of a letter, from its Unicode name ("LATIN", "CYRILLIC", ...)."""
    if not char.isalpha():
        return None
    try:
        name = unicodedata.name(char)
    except ValueError:
        return "UNKNOWN"
    return name.split(" ", 1)[0]


#: Alphabets whose letters pass for Latin ones (https://www.unicode.org/reports/tr39/).
_LOOKALIKE_SCRIPTS = {"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"}


def mixed_script_word(text: str) -> str | None:
    """The first word mixing Latin with a look-alike alphabet ("gрu" with a Cyrillic р).

    Words of one alphabet, and alphabets that are mixed by design (kana with kanji), pass.
    """
    for word in re.findall(r"\w+", text):
        scripts = {script for char in word if (script := _script(char))}
        if "LATIN" in scripts and scripts & _LOOKALIKE_SCRIPTS:
            return word
    return None


def screen(text: str | None) -> Screened:
    """Check a question; whitespace is collapsed in what comes back."""
    raw = text or ""
    if len(raw) > MAX_QUESTION_CHARS * 4:  # never even scan a megabyte
        return _too_long(len(raw))
    # NFKC folds full-width and styled letters ("ＧＰＵ", "𝐠𝐩𝐮") into plain ones.
    question = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not question:
        return Screened("", "Ask me a question, e.g. “should we go local?” or `help`.", "empty")
    if len(question) > MAX_QUESTION_CHARS:
        return _too_long(len(question))
    if _is_binary(question):
        return Screened(
            "",
            "That looks like binary data, not a question. Ask in plain words, e.g. “how many "
            "requests per day?”.",
            "binary",
        )
    if word := mixed_script_word(question):
        return Screened(
            "",
            f"The word “{excerpt(word, 20)}” mixes alphabets (look-alike letters), so I can't "
            "read it reliably. Please retype the question in plain letters.",
            "mixed_script",
        )
    if any(pattern.search(question) for pattern in _INJECTION):
        return Screened(
            "",
            "That looks like code or instructions, not a question: I only answer questions "
            "about usage, spend, GPUs and the go-local decision (`help` lists them).",
            "injection",
        )
    return Screened(question)


def _too_long(length: int) -> Screened:
    return Screened(
        "",
        f"That's {length:,} characters; I read questions of up to {MAX_QUESTION_CHARS} "
        "characters. Ask one short question, e.g. “what did we spend last month?”.",
        "too_long",
    )
