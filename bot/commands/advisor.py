"""``golocal checklist`` and ``golocal attribute``: the declared half of the evidence.

``checklist set`` appends an answer (who/when kept, history never rewritten); ``checklist
show`` lists the current answers with their history. ``attribute`` maps cloud projects,
workspaces and API key ids to a team and a sensitivity tag. The same storage functions
(:mod:`golocal.db.checklist`, :mod:`golocal.db.attribution`) back the Slack modal.
"""

from __future__ import annotations

import json

import click

from golocal.bot.context import AppContext, pass_app
from golocal.bot.services import local_user
from golocal.db.attribution import (
    KINDS,
    AttributionEntry,
    list_attributions,
    remove_attribution,
    set_attribution,
)
from golocal.db.checklist import (
    CHECKLIST_KEYS,
    SENSITIVITIES,
    TEAM_PREFIX,
    answer_history,
    current_answers,
    set_answer,
)
from golocal.errors import UsageError
from golocal.jobs.showback import config_attributions


def _who(by: str | None) -> str:
    return by or local_user()


def _scope(project: str | None, team: str | None) -> str:
    if project and team:
        raise UsageError("give either --project or --team, not both")
    if team:
        return f"{TEAM_PREFIX}{team}"
    return project or ""


@click.group()
def checklist() -> None:
    """The declared checklist answers: code location, ops owner, model size, exit cost.

    Keys: code_location (regulated|proprietary|public, per --project or --team),
    ops_owner (a name, or 'none'), model_size (frontier|local_capable|mixed),
    exit_cost (notes, optionally starting with low|medium|high).
    """


@checklist.command("show")
@click.option("--key", type=click.Choice(list(CHECKLIST_KEYS)), help="Only this key.")
@click.option(
    "--history",
    "history_rows",
    type=int,
    default=5,
    show_default=True,
    help="Earlier answers to show per key and scope.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def show(app: AppContext, key: str | None, history_rows: int, as_json: bool) -> None:
    """Show the current answers, who gave them and when, and their history."""
    database = app.database
    current = [a for a in current_answers(database) if key is None or a.key == key]
    entries = []
    for answer in current:
        history = answer_history(
            database, key=answer.key, scope=answer.scope, limit=history_rows + 1
        )[1:]
        entries.append({**answer.as_json(), "history": [h.as_json() for h in history]})
    keys = [key] if key else list(CHECKLIST_KEYS)
    unanswered = [k for k in keys if not any(a.key == k for a in current)]
    if as_json:
        click.echo(json.dumps({"answers": entries, "unanswered": unanswered}, indent=2))
        return
    for entry in entries:
        scope = entry["scope"] or "organisation"
        click.echo(
            f"{entry['key']} [{scope}]: {entry['value']} "
            f"(by {entry['answered_by']}, {entry['answered_at'][:16]}Z)"
        )
        for old in entry["history"]:
            click.echo(
                f"    was: {old['value']} (by {old['answered_by']}, {old['answered_at'][:16]}Z)"
            )
    for name in unanswered:
        click.echo(f"{name}: not answered — {CHECKLIST_KEYS[name].help}")


@checklist.command("set")
@click.argument("key", type=click.Choice(list(CHECKLIST_KEYS)))
@click.argument("value", nargs=-1, required=True)
@click.option("--project", help="A provider project/workspace id this answer is about.")
@click.option("--team", help="A team this answer is about.")
@click.option("--by", "by", help="Who gives the answer (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the stored answer as JSON.")
@pass_app
def set_(
    app: AppContext,
    key: str,
    value: tuple[str, ...],
    project: str | None,
    team: str | None,
    by: str | None,
    as_json: bool,
) -> None:
    """Record an answer, e.g. `golocal checklist set code_location regulated --project proj_x`."""
    answer = set_answer(
        app.database, key, " ".join(value), answered_by=_who(by), scope=_scope(project, team)
    )
    if as_json:
        click.echo(json.dumps(answer.as_json(), indent=2))
        return
    scope = answer.scope or "organisation"
    click.echo(f"{answer.key} [{scope}] = {answer.value} (by {answer.answered_by})")


def _describe(entry: AttributionEntry) -> str:
    return (
        f"{entry.kind} {entry.external_id} ({entry.provider or 'any provider'}): "
        f"team {entry.team or '-'}, sensitivity {entry.sensitivity or '-'}"
    )


@click.group()
def attribute() -> None:
    """Map cloud projects, workspaces and API key ids to a team and a sensitivity tag."""


@attribute.command("set")
@click.argument("external_id")
@click.option("--kind", type=click.Choice(KINDS), default="project", show_default=True)
@click.option("--provider", default="", help="openai, anthropic, … (default: any provider).")
@click.option("--team", help="The owning team.")
@click.option("--sensitivity", type=click.Choice(SENSITIVITIES, case_sensitive=False))
@click.option("--label", help="A readable name for the id.")
@click.option("--by", "by", help="Who makes the change (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the mapping as JSON.")
@pass_app
def attribute_set(
    app: AppContext,
    external_id: str,
    kind: str,
    provider: str,
    team: str | None,
    sensitivity: str | None,
    label: str | None,
    by: str | None,
    as_json: bool,
) -> None:
    """Create or change a mapping, e.g. `golocal attribute set proj_pay --team payments
    --sensitivity regulated`."""
    if team is None and sensitivity is None and label is None:
        raise UsageError("give at least one of --team, --sensitivity, --label")
    entry = set_attribution(
        app.database,
        external_id=external_id,
        kind=kind,
        provider=provider,
        team=team,
        sensitivity=sensitivity,
        label=label,
        updated_by=_who(by),
    )
    if as_json:
        click.echo(json.dumps(entry.as_json(), indent=2))
        return
    click.echo(_describe(entry))


@attribute.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def attribute_list(app: AppContext, as_json: bool) -> None:
    """List the mappings, stored and from the config file."""
    entries = list_attributions(app.database) + config_attributions(app.settings)
    if as_json:
        click.echo(json.dumps([e.as_json() for e in entries], indent=2))
        return
    if not entries:
        click.echo("No attributions yet: golocal attribute set ID --team T --sensitivity S")
    for entry in entries:
        click.echo(f"{_describe(entry)} [by {entry.updated_by}]")


@attribute.command("remove")
@click.argument("external_id")
@click.option("--kind", type=click.Choice(KINDS), default="project", show_default=True)
@click.option("--provider", default="")
@pass_app
def attribute_remove(app: AppContext, external_id: str, kind: str, provider: str) -> None:
    """Remove a stored mapping."""
    if not remove_attribution(app.database, external_id=external_id, kind=kind, provider=provider):
        raise UsageError(f"no stored attribution for {kind} {external_id!r}")
    click.echo(f"removed {kind} {external_id}")
