"""The fault matrix: each fault a provider, the network, the database or the clock can throw,
what golocal does about it, and what it keeps. README's "Fault matrix" table is this module.

Collection faults run against the loopback OpenAI fake (or a scripted loopback server that
misbehaves the way the fault says) on SQLite and PostgreSQL; every row asserts the outcome
line, what was stored and the source's status.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from golocal.bot.console import ConsoleAdapter
from golocal.bot.services import Services
from golocal.config.settings import Settings
from golocal.db import migrate
from golocal.db.database import describe_failure, normalise_url, open_database
from golocal.db.sources import record_failure, record_success, source_state
from golocal.db.usage import count_usage_buckets
from golocal.errors import DatabaseError
from golocal.jobs.collect import collect_sources
from golocal.jobs.digest import last_complete_week
from golocal.jobs.http_client import ApiClient, Credential, MalformedResponse
from golocal.jobs.schedule import digest_week_due
from tests.cli_runner import run_golocal
from tests.fakes.openai import USAGE_PATH, FakeOpenAI, days
from tests.fakes.server import LoopbackServer, Reply, Request, json_reply
from tests.jobs.conftest import NOW

KEY = "sk-admin-fault-matrix-0123456789"
START = date(2026, 1, 1)
COSTS = "/v1/organization/costs"
DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _page(day: date, *, has_more: bool, next_page: str | None) -> dict:
    start = int((day - date(1970, 1, 1)).total_seconds())
    return {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": start,
                "end_time": start + 86400,
                "results": [
                    {
                        "object": "organization.usage.completions.result",
                        "input_tokens": 100,
                        "output_tokens": 10,
                        "num_model_requests": 1,
                        "model": "gpt-4o",
                        "project_id": None,
                        "api_key_id": None,
                        "batch": None,
                        "service_tier": None,
                    }
                ],
            }
        ],
        "has_more": has_more,
        "next_page": next_page,
    }


@pytest.fixture
def fake():
    server = FakeOpenAI(KEY).start()
    for day in days(START, 3):
        server.add_usage(day, "gpt-4o", "proj_a")
    yield server
    server.stop()


@pytest.fixture
def scripted():
    server = LoopbackServer().start()
    server.script(
        COSTS, json_reply({"object": "page", "data": [], "has_more": False, "next_page": None})
    )
    yield server
    server.stop()


def _settings(make_settings, base_url: str, toml: str = ""):
    return make_settings(
        "[collection]\nmax_attempts = 3\n" + toml,
        OPENAI_ADMIN_KEY=KEY,
        GOLOCAL_OPENAI_BASE_URL=base_url,
    )


def _collect(make_request, settings, until_days: int = 3):
    (result,) = collect_sources(
        ["openai"], make_request(settings, START, START + timedelta(days=until_days))
    )
    return result


# --- provider faults ----------------------------------------------------------------------


def test_429_waits_retry_after_and_keeps_everything(fake, make_settings, make_request, sleeps):
    fake.fail(USAGE_PATH, Reply(429, {"error": {}}, headers={"retry-after": "7"}))
    result = _collect(make_request, _settings(make_settings, fake.base_url))
    assert result.ok and result.windows == 2
    assert sleeps == [7.0]


def test_three_5xx_then_success_is_retried(fake, make_settings, make_request, database):
    fake.fail(USAGE_PATH, Reply(500), Reply(502), Reply(503), after=0)
    settings = make_settings(
        "[collection]\nmax_attempts = 4\n",
        OPENAI_ADMIN_KEY=KEY,
        GOLOCAL_OPENAI_BASE_URL=fake.base_url,
    )
    result = _collect(make_request, settings)
    assert result.ok, result.message
    assert count_usage_buckets(database) == 3


def test_a_timeout_fails_the_source_after_its_attempts(
    scripted, make_settings, make_request, database
):
    def slow(_request: Request) -> Reply:
        time.sleep(0.5)
        return json_reply(_page(START, has_more=False, next_page=None))

    scripted.script(USAGE_PATH, slow)
    settings = _settings(make_settings, scripted.url + "/v1", "timeout_s = 0.05\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert result.message.startswith("OpenAI unavailable after 3 attempts: timed out")
    assert source_state(database, "openai").consecutive_failures == 1


def test_a_malformed_page_mid_backfill_keeps_the_windows_before_it(
    fake, make_settings, make_request, database
):
    for day in days(START + timedelta(days=3), 37):
        fake.add_usage(day, "gpt-4o", "proj_a")
    # OpenAI serves at most 31 days a page: the second window's first page is garbage
    fake.fail(USAGE_PATH, Reply(200, "<html>proxy error</html>"), after=1)
    result = _collect(make_request, _settings(make_settings, fake.base_url), until_days=40)
    assert not result.ok
    assert "not JSON" in result.message
    assert count_usage_buckets(database) == 31  # the first window stays
    assert source_state(database, "openai").cursor is None  # the next run retries


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_fails_at_once_naming_the_variable(
    status, fake, make_settings, make_request, sleeps
):
    fake.fail(USAGE_PATH, Reply(status, {"error": {"message": "no", "type": "auth"}}))
    result = _collect(make_request, _settings(make_settings, fake.base_url))
    assert not result.ok
    assert f"rejected ({status}): check OPENAI_ADMIN_KEY" in result.message
    assert sleeps == [] and len(fake.requests_to(USAGE_PATH)) == 1


def test_a_repeated_cursor_stops_paging(scripted, make_settings, make_request, database):
    scripted.script(USAGE_PATH, json_reply(_page(START, has_more=True, next_page="page_same")))
    result = _collect(make_request, _settings(make_settings, scripted.url + "/v1"))
    assert not result.ok
    assert "sent the page cursor 'page_same' again: stopped paging" in result.message
    assert len(scripted.requests_to(USAGE_PATH)) == 2
    assert count_usage_buckets(database) == 0  # a window is stored whole or not at all
    assert source_state(database, "openai").cursor is None


def test_endless_has_more_stops_at_the_page_limit(scripted, make_settings, make_request):
    counter = iter(range(1_000_000))
    scripted.script(
        USAGE_PATH,
        lambda _r: json_reply(_page(START, has_more=True, next_page=f"page_{next(counter)}")),
    )
    settings = _settings(make_settings, scripted.url + "/v1", "max_pages = 25\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert "still had more after 25 pages (collection.max_pages)" in result.message
    assert len(scripted.requests_to(USAGE_PATH)) == 25


def test_a_source_that_outlasts_its_time_budget_fails_its_window(
    scripted, make_settings, make_request
):
    counter = iter(range(1_000_000))

    def slow_endless(_request: Request) -> Reply:
        time.sleep(0.02)
        return json_reply(_page(START, has_more=True, next_page=f"page_{next(counter)}"))

    scripted.script(USAGE_PATH, slow_endless)
    settings = _settings(make_settings, scripted.url + "/v1", "source_budget_s = 0.2\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert "time budget of 0.2 s for one run is spent" in result.message


def test_an_answer_over_the_size_limit_is_refused(scripted, make_settings, make_request):
    page = _page(START, has_more=False, next_page=None)
    page["padding"] = "x" * 200_000
    scripted.script(USAGE_PATH, json_reply(page))
    settings = _settings(make_settings, scripted.url + "/v1", "max_response_mb = 0.1\n")
    result = _collect(make_request, settings)
    assert not result.ok
    assert "answered more than 0.1 MiB; refused" in result.message


@pytest.mark.parametrize(
    ("day", "requests", "said"),
    [
        (NOW.date() - timedelta(days=1), -5, "requests is negative: -5"),
        (NOW.date() + timedelta(days=3), 1, "is in the future"),
    ],
)
def test_negative_and_future_buckets_are_rejected(
    day, requests, said, scripted, make_settings, make_request, database
):
    page = _page(day, has_more=False, next_page=None)
    page["data"][0]["results"][0]["num_model_requests"] = requests
    scripted.script(USAGE_PATH, json_reply(page))
    settings = _settings(make_settings, scripted.url + "/v1")
    since = NOW.date() - timedelta(days=1)
    (result,) = collect_sources(
        ["openai"], make_request(settings, since, NOW.date() + timedelta(days=5))
    )
    assert not result.ok
    assert "rejected" in result.message and said in result.message, result.message
    assert count_usage_buckets(database) == 0


# --- database faults ----------------------------------------------------------------------


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers: a hung
    database (or a proxy in front of one) as the client sees it."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        self._socket.close()
        for connection in self._held:
            connection.close()


def test_a_hung_postgresql_gives_one_line_in_seconds(capsys, monkeypatch):
    hung = SilentServer()
    try:
        monkeypatch.setenv(
            "GOLOCAL_DATABASE_URL", f"postgresql://golocal:pw@127.0.0.1:{hung.port}/golocal"
        )
        result = run_golocal(capsys, "sources")  # the default connect_timeout applies
    finally:
        hung.close()
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: cannot connect to the database at 127.0.0.1:{hung.port}"
    )
    assert "timeout" in result.stderr
    assert len(result.stderr.splitlines()) == 1


class TcpProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until :meth:`kill` drops every connection:
    the database going away in the middle of a run."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._open: list[socket.socket] = []
        self._flowing = threading.Event()
        self._flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._socket.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                self._flowing.wait()  # frozen: hold what arrived, pass nothing on
                sink.sendall(chunk)
        except OSError:
            pass

    def freeze(self) -> None:
        """Keep every connection open but stop passing bytes: a server hung mid-session."""
        self._flowing.clear()

    def kill(self) -> None:
        self._flowing.set()  # let frozen pumps run into the closed sockets and end
        # shutdown() wakes the thread blocked in accept(); close() alone would not
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        for connection in self._open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


@pytest.mark.postgres
def test_postgresql_lost_mid_run_is_one_line_and_keeps_what_was_committed(
    scripted, request, capsys, monkeypatch
):
    url, drop = _fresh_postgres_database(request)
    try:
        migrated = open_database(url, check_schema=False)
        migrate.upgrade(migrated.engine)
        proxy = TcpProxy(migrated.engine.url.port or 5432)
        calls = []

        def window(request: Request) -> Reply:
            calls.append(1)
            if len(calls) == 2:  # the second window: the database goes away meanwhile
                proxy.kill()
            first = datetime.fromtimestamp(int(request.first("start_time") or 0), UTC).date()
            return json_reply(_page(first, has_more=False, next_page=None))

        scripted.script(USAGE_PATH, window)
        through_proxy = make_url(url).set(port=proxy.port)
        monkeypatch.setenv(
            "GOLOCAL_DATABASE_URL", through_proxy.render_as_string(hide_password=False)
        )
        monkeypatch.setenv("OPENAI_ADMIN_KEY", KEY)
        monkeypatch.setenv("GOLOCAL_OPENAI_BASE_URL", scripted.url + "/v1")
        result = run_golocal(
            capsys, "collect", "openai", "--since", "2026-01-01", "--until", "2026-02-10"
        )
        assert result.exit_code == 1
        # the pool notices the dead connection and reconnects, which is refused: one line
        assert result.stderr.startswith("error: database: connection failed: ")
        assert f"port {proxy.port} failed: Connection refused" in result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert count_usage_buckets(migrated) == 1  # the first window, committed before
        migrated.dispose()
    finally:
        drop()


@pytest.mark.postgres
def test_a_postgresql_hung_after_connecting_gives_one_line_and_the_bot_answers_on(request):
    url, drop = _fresh_postgres_database(request)
    migrated = open_database(url, check_schema=False)
    migrate.upgrade(migrated.engine)
    proxy = TcpProxy(migrated.engine.url.port or 5432)
    through_proxy = make_url(url).set(port=proxy.port).render_as_string(hide_password=False)
    database = open_database(through_proxy)
    settings = Settings(database_url=through_proxy, database={"answer_timeout_s": 2})
    console = ConsoleAdapter(Services(settings, database), None, None, interactive=False)  # type: ignore[arg-type]
    try:
        before = console.reply_to("how many requests per day?")
        assert before.intent != "error"  # the pooled connection is up and answering
        proxy.freeze()
        hung = console.reply_to("how many requests per day?")
        after = console.reply_to("help")
    finally:
        proxy.kill()
        database.dispose()
        migrated.dispose()
        drop()
    assert hung.intent == "error"
    assert hung.text == "the database did not answer within 2 s; try again later"
    assert after.intent == "help"
    assert "I can answer:" in after.text


@pytest.mark.postgres
def test_a_connection_dropped_under_a_statement_is_one_line(postgres_url):
    proxy = TcpProxy(make_url(postgres_url).port or 5432)
    through_proxy = make_url(postgres_url).set(port=proxy.port)
    database = open_database(
        through_proxy.render_as_string(hide_password=False), check_schema=False
    )
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            proxy.kill()
            with pytest.raises(DBAPIError) as lost:
                connection.execute(text("SELECT 1"))
    finally:
        database.dispose()
    assert describe_failure(lost.value).startswith("lost the connection to the database: ")
    assert len(describe_failure(lost.value).splitlines()) == 1


def test_postgresql_down_at_start_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", "postgresql://golocal:pw@127.0.0.1:9/golocal")
    result = run_golocal(capsys, "report", "volume")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot connect to the database at 127.0.0.1:9")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.postgres
def test_postgresql_sessions_carry_a_statement_timeout_and_tcp_liveness(postgres_url):
    database = open_database(postgres_url, check_schema=False)
    try:
        with database.engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "1min"
            info = connection.connection.dbapi_connection.info  # what libpq was given
            assert info.get_parameters().get("tcp_user_timeout") == "30000"
            assert info.get_parameters().get("connect_timeout") == "10"
    finally:
        database.dispose()


def test_disk_full_mid_run_is_one_line_naming_the_file(
    fake, sqlite_database, capsys, monkeypatch, tmp_path
):
    path = tmp_path / "golocal.db"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("GOLOCAL_DATABASE_URL", url)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", KEY)
    monkeypatch.setenv("GOLOCAL_OPENAI_BASE_URL", fake.base_url)
    for day in days(START, 60):
        fake.add_usage(day, "gpt-4o", f"proj_{day.day}", api_key_id="k" * 200)
    # a disk with no free page left: SQLite answers SQLITE_FULL, as on a full file system
    with sqlite3.connect(path) as raw:
        pages = raw.execute("PRAGMA page_count").fetchone()[0]

    @event.listens_for(Engine, "connect")
    def _cap(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    try:
        result = run_golocal(capsys, "collect", "openai", "--since", "2026-01-01")
    finally:
        event.remove(Engine, "connect", _cap)
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot use the SQLite database {path}: the disk is full\n"


def test_a_read_only_database_is_one_line_naming_the_file(sqlite_database, tmp_path):
    path = tmp_path / "golocal.db"
    read_only = open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with pytest.raises(DatabaseError) as refused:
            record_failure(read_only, "openai", "x", at=NOW)
    finally:
        read_only.dispose()
    assert refused.value.message == (
        f"cannot use the SQLite database file:{path}: the database is read-only"
    )


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_concurrent_db_upgrades_both_succeed(dialect, tmp_path, request):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOLOCAL_")}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    for round_ in range(3):
        if dialect == "sqlite":
            url, drop = f"sqlite:///{tmp_path / f'race{round_}.db'}", None
        else:
            url, drop = _fresh_postgres_database(request)
        env["GOLOCAL_DATABASE_URL"] = url
        upgrades = [
            subprocess.Popen(
                [sys.executable, "-m", "golocal", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outcomes = [(p.wait(timeout=120), *p.communicate()) for p in upgrades]
        if drop:
            drop()
        assert [code for code, _, _ in outcomes] == [0, 0], outcomes
        said = sorted(out.split(" (")[0].split(" from")[0] for _, out, _ in outcomes)
        assert said == ["database already at the newest revision", "database upgraded"]


def _fresh_postgres_database(request):
    admin_url = os.environ.get("GOLOCAL_TEST_POSTGRES_URL")
    if not admin_url:
        request.getfixturevalue("postgres_url")  # skips (or fails under CI) with the reason
    admin = normalise_url(admin_url)
    name = f"golocal_race_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        # best effort: a background worker of the server may still hold the new database
        for statement in (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'DROP DATABASE "{name}"',
        ):
            try:
                with engine.connect() as connection:
                    connection.execute(text(statement))
                break
            except DBAPIError:
                time.sleep(0.5)
        engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), drop


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_newer_revision_names_the_version_needed_and_upgrade_does_not_crash(
    dialect, tmp_path, request, capsys, monkeypatch
):
    if dialect == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'newer.db'}", None
    else:
        url, drop = _fresh_postgres_database(request)
    try:
        database = open_database(url, check_schema=False)
        migrate.upgrade(database.engine)
        with database.engine.begin() as connection:  # as a future golocal 9.0 would leave it
            connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
            connection.execute(
                text(
                    "INSERT INTO schema_releases (revision, golocal_version, upgraded_at) "
                    "VALUES ('0099_future', '9.0.0', '2030-01-01 00:00:00')"
                )
            )
        database.dispose()
        monkeypatch.setenv("GOLOCAL_DATABASE_URL", url)
        for args in (("sources",), ("db", "upgrade")):
            result = run_golocal(capsys, *args)
            assert result.exit_code == 1, args
            assert "is at revision 0099_future" in result.stderr
            assert "Install golocal 9.0.0 or newer" in result.stderr
            assert len(result.stderr.splitlines()) == 1
    finally:
        if drop:
            drop()


# --- clock faults ---------------------------------------------------------------------------


def test_a_clock_ahead_of_the_provider_collects_nothing(
    scripted, make_settings, make_request, database
):
    provider_now = datetime.now(UTC) - timedelta(days=10)  # ours is 10 days ahead of theirs
    page = _page(START, has_more=False, next_page=None)
    scripted.script(
        USAGE_PATH,
        Reply(200, page, headers={"Date": format_datetime(provider_now, usegmt=True)}),
    )
    result = _collect(make_request, _settings(make_settings, scripted.url + "/v1"))
    assert not result.ok
    assert "h ahead of OpenAI's" in result.message and "fix the clock (NTP)" in result.message
    assert count_usage_buckets(database) == 0
    assert source_state(database, "openai").cursor is None


def test_a_cursor_left_in_the_future_is_brought_back_to_now(
    fake, make_settings, make_request, database
):
    future = NOW + timedelta(days=10)
    record_success(database, "openai", kind="cloud", at=future, cursor=future)
    settings = _settings(make_settings, fake.base_url)
    (result,) = collect_sources(["openai"], make_request(settings))  # no dates: from the cursor
    assert result.ok
    assert result.windows > 0
    assert result.message.startswith("2026-03-08 to 2026-03-11")
    assert source_state(database, "openai").cursor == NOW


@pytest.mark.parametrize(
    ("zone", "local_now", "expected"),
    [
        # Monday 09:00 in Sydney is Sunday 22:00 UTC: the week's last UTC day is not over
        ("Australia/Sydney", datetime(2026, 11, 23, 9, 0), None),
        ("Australia/Sydney", datetime(2026, 11, 23, 11, 15), "2026-W47"),
        ("Pacific/Auckland", datetime(2026, 11, 23, 9, 0), None),
        ("Pacific/Auckland", datetime(2026, 11, 23, 13, 15), "2026-W47"),
        ("Europe/Berlin", datetime(2026, 11, 23, 9, 0), "2026-W47"),
        ("America/New_York", datetime(2026, 11, 23, 9, 0), "2026-W47"),
        ("UTC", datetime(2026, 11, 23, 9, 0), "2026-W47"),
    ],
)
def test_the_digest_waits_until_the_week_has_ended_in_utc_and_locally(
    zone, local_now, expected, make_settings
):
    settings = make_settings(f'timezone = "{zone}"\n')
    now = local_now.replace(tzinfo=ZoneInfo(zone))
    assert digest_week_due(now, settings) == expected
    complete = last_complete_week(now, settings.tz)
    assert complete == (expected or "2026-W46")


@pytest.mark.parametrize("link", ["http://exa mple.com/x\x00", "", "ftp://files/x", "/relative"])
def test_a_download_link_that_is_not_a_url_is_a_malformed_answer(link):
    client = ApiClient(
        provider="GitHub",
        base_url="http://127.0.0.1:9",
        credential=Credential(header="authorization", value="Bearer t", label="t", env_var="T"),
    )
    with client, pytest.raises(MalformedResponse) as refused:
        client.get_text(link)
    assert "not" in refused.value.message and "URL" in refused.value.message
