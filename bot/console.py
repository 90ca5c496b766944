"""Console mode: the bot on a terminal, through the same handlers as Slack.

Works interactively (a prompt, an offer to load demo data into an empty database) and when
piped (no prompt, no questions asked back, one answer per input line). ``quit``, ``exit``
or end of input leave cleanly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from golocal.bot.chat import Asked, answer
from golocal.bot.followups import Conversations
from golocal.bot.replies import Reply, reply_for_error
from golocal.bot.services import Actor, Services, local_user
from golocal.db.usage import count_usage_buckets

QUIT_WORDS = {"quit", "exit", "bye", ":q"}


class ConsoleAdapter:
    """Reads questions from ``stdin``, writes replies to ``stdout``."""

    def __init__(
        self,
        services: Services,
        stdin: TextIO,
        stdout: TextIO,
        *,
        interactive: bool,
        load_demo: Callable[[], str] | None = None,
    ) -> None:
        self.services = services
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = interactive
        self.load_demo = load_demo
        # one session: follow-ups ("and last month?") reuse the last question's subject
        self.conversation = Conversations(size=1)
        self.actor = Actor(local_user(), "console", may_change_answers=True)

    def say(self, text: str) -> None:
        self.stdout.write(text.rstrip("\n") + "\n")
        self.stdout.flush()

    def reply_to(self, question: str) -> Reply:
        """Answer one line; the only place console errors become replies."""
        try:
            return answer(
                Asked(question, actor=self.actor), self.services, conversation=self.conversation
            )
        except Exception as exc:
            return reply_for_error(exc)

    def greet(self) -> None:
        database = self.services.database
        self.say(f"golocal console — database {database.describe()}")
        if count_usage_buckets(database) == 0:
            self._offer_demo()
        self.say("Ask me something (“how many requests per day?”), `help`, or `quit`.")

    def _offer_demo(self) -> None:
        if self.interactive and self.load_demo is not None:
            self.stdout.write("The database is empty. Load 30 days of demo data? [y/N] ")
            self.stdout.flush()
            line = self.stdin.readline()
            if line.strip().lower() in {"y", "yes"}:
                self.say(self.load_demo())
                return
        self.say(
            "The database is empty: run `golocal demo` to load clearly labelled synthetic "
            "data, or configure a source and run `golocal collect`."
        )

    def loop(self) -> None:
        """Answer lines until ``quit`` or end of input."""
        while True:
            if self.interactive:
                self.stdout.write("golocal> ")
                self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                if self.interactive:
                    self.say("")
                return
            question = line.strip()
            if not question:
                continue
            if question.lower() in QUIT_WORDS:
                return
            self.say(self.reply_to(question).text)
            if self.interactive:
                self.say("")
