"""``golocal fit``: does a model fit on our GPUs (or named ones), how many sessions, how fast."""

from __future__ import annotations

import json

import click

from golocal.bot.context import AppContext, pass_app


@click.command()
@click.argument("model")
@click.option("--gpu", metavar="GPU", help="A catalogue GPU, e.g. 'RTX 4090' (default: yours).")
@click.option("--count", type=int, help="How many of them (default: 1, or all of yours).")
@click.option(
    "--quant",
    metavar="Q",
    help="FP16, FP8, Q8_0, Q5_K_M, Q4_K_M, or auto (default: the most precise that fits).",
)
@click.option(
    "--context",
    "context_tokens",
    type=int,
    metavar="TOKENS",
    help="Tokens per session (default: your measured tokens per request, else 8192).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the fit as JSON.")
@pass_app
def fit(
    app: AppContext,
    model: str,
    gpu: str | None,
    count: int | None,
    quant: str | None,
    context_tokens: int | None,
    as_json: bool,
) -> None:
    """Whether a model fits our GPUs (or named ones): sessions, memory, decode speed.

    E.g. golocal fit "Qwen2.5-Coder 32B" --gpu "RTX 4090" --count 2. Weights by
    quantisation, KV cache per session, concurrent sessions and the decode rate bounded by
    memory bandwidth (calibrated by your own inference servers where one runs the model).
    Unknown names get the nearest catalogue names; exit 2 on bad input.
    """
    from golocal.bot.handlers.fit import fit_reply

    reply = fit_reply(app.services, model, gpu, count, quant, context_tokens)
    if as_json:
        click.echo(json.dumps(reply.data, indent=2, ensure_ascii=False))
    else:
        click.echo(reply.text)
