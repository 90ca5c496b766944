"""Local telemetry settings: inference servers, Prometheus fleets, GPU agents."""

from __future__ import annotations

from pathlib import Path

import pytest

from golocal.config.settings import ConfigError, load_settings


def _load(tmp_path: Path, text: str):
    path = tmp_path / "golocal.toml"
    path.write_text(text)
    return load_settings(path)


def test_sources_are_read(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        '[[inference_servers]]\nname = "coder"\nkind = "vllm"\nurl = "http://10.0.0.5:8000/"\n'
        '[[inference_servers]]\nname = "laptop"\nkind = "ollama"\nurl = "http://127.0.0.1:11434"\n'
        '[[prometheus]]\nname = "fleet"\nurl = "http://prometheus:9090"\n'
        '[[gpu_agents]]\nname = "node1"\nurl = "http://node1:9400/metrics"\n'
        "[telemetry]\ntimeout_seconds = 2.5\n",
    )
    assert [(s.name, s.kind, s.url) for s in settings.inference_servers] == [
        ("coder", "vllm", "http://10.0.0.5:8000"),
        ("laptop", "ollama", "http://127.0.0.1:11434"),
    ]
    assert settings.prometheus[0].step_seconds == 15
    assert settings.gpu_agents[0].url == "http://node1:9400/metrics"
    assert settings.telemetry.timeout_seconds == 2.5
    assert settings.agent.listen == "127.0.0.1:9835"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[inference_servers]]\nname = "x"\nkind = "triton"\nurl = "http://a"\n',
            "config error: inference_servers.0.kind: Input should be 'vllm', 'llamacpp', "
            "'tgi', 'sglang' or 'ollama'",
        ),
        (
            '[[gpu_agents]]\nname = "x"\nurl = "node1:9400"\n',
            "config error: gpu_agents.0.url: 'node1:9400' is not an http(s) URL",
        ),
        (
            '[[gpu_agents]]\nname = "x"\nurl = "http://a"\n[[prometheus]]\nname = "x"\nurl = "http://b"\n',
            "config error: local source name 'x' is used twice",
        ),
        (
            '[[prometheus]]\nname = "fleet"\nurl = "http://b"\ntoken = "t"\n',
            "config error: prometheus.0.token: unknown setting",
        ),
    ],
)
def test_bad_sources_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert caught.value.message == message
