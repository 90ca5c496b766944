"""The fit/capacity physics against published figures (each row cites its source)."""

from __future__ import annotations

import pytest

from golocal.config.advisor import Advisor
from golocal.errors import UsageError
from golocal.jobs.fit import GIB, kv_bytes_per_session, kv_bytes_per_token, weights_bytes
from golocal.jobs.fit_query import fit_for

ADVISOR = Advisor()
GB = 1e9


@pytest.mark.parametrize(
    ("model", "quant", "published_bytes", "source"),
    [
        # huggingface.co/bartowski/Qwen2.5-Coder-32B-Instruct-GGUF: Q4_K_M file 19.9 GB
        ("qwen2.5-coder-32b", "Q4_K_M", 19.9 * GB, "bartowski GGUF"),
        # huggingface.co/mradermacher/Qwen2.5-Coder-32B-GGUF: Q5_K_M 23.3 GB, Q8_0 34.8 GB
        ("qwen2.5-coder-32b", "Q5_K_M", 23.3 * GB, "mradermacher GGUF"),
        ("qwen2.5-coder-32b", "Q8_0", 34.8 * GB, "mradermacher GGUF"),
        # github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference: Llama 3 70B Q4_K_M 39.60 GiB,
        # Llama 3 8B Q4_K_M 4.58 GiB and F16 14.96 GiB
        ("llama-3.3-70b", "Q4_K_M", 39.60 * GIB, "GPU-Benchmarks-on-LLM-Inference"),
        ("llama-3.1-8b", "Q4_K_M", 4.58 * GIB, "GPU-Benchmarks-on-LLM-Inference"),
        ("llama-3.1-8b", "FP16", 14.96 * GIB, "GPU-Benchmarks-on-LLM-Inference"),
    ],
)
def test_weights_within_two_percent_of_published_file_sizes(model, quant, published_bytes, source):
    computed = weights_bytes(ADVISOR.models[model], ADVISOR.quants[quant])
    assert computed == pytest.approx(published_bytes, rel=0.02), source


@pytest.mark.parametrize(
    ("model", "bytes_per_token"),
    [
        # Qwen2.5-Coder-32B config.json: 64 layers × 8 KV heads × head dim 128 (5120 / 40),
        # K and V in BF16: 2 × 64 × 8 × 128 × 2 = 262,144 bytes = 256 KiB per token.
        ("qwen2.5-coder-32b", 262_144),
        # Llama 3.1 8B config.json: 2 × 32 × 8 × 128 × 2 = 131,072 bytes (128 KiB).
        ("llama-3.1-8b", 131_072),
        # Qwen3-Coder-30B-A3B config.json: 2 × 48 × 4 × 128 × 2 = 98,304 bytes.
        ("qwen3-coder-30b-a3b", 98_304),
        # DeepSeek-Coder-V2-Lite: MLA caches kv_lora_rank 512 + rope 64 per layer: 27 × 576 × 2.
        ("deepseek-coder-v2-lite", 31_104),
    ],
)
def test_kv_bytes_per_token_from_published_configs(model, bytes_per_token):
    assert kv_bytes_per_token(ADVISOR.models[model]) == bytes_per_token


def test_sliding_window_layers_hold_only_their_window():
    gpt_oss = ADVISOR.models["gpt-oss-20b"]
    per_layer_token = kv_bytes_per_token(gpt_oss) / gpt_oss.layers
    # 12 full-attention layers hold all 8,192 tokens, 12 sliding layers only 128
    assert kv_bytes_per_session(gpt_oss, 8192) == per_layer_token * (12 * 8192 + 12 * 128)


@pytest.mark.parametrize(
    ("quant", "published_tokens_per_s"),
    [
        # github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference, llama.cpp on one RTX 4090:
        # Llama 3 8B Q4_K_M tg512 = 130.58 tok/s, F16 tg512 = 54.84 tok/s (single stream).
        ("Q4_K_M", 130.58),
        ("FP16", 54.84),
    ],
)
def test_rtx_4090_decode_rate_within_20_percent_of_published_benchmark(
    quant, published_tokens_per_s
):
    result = fit_for(ADVISOR, "llama-3.1-8b", "rtx-4090", 1, quant, context=512)
    assert result.fits
    assert result.decode_tokens_per_s == pytest.approx(published_tokens_per_s, rel=0.20)


def test_32b_q4_on_one_4090_fits_two_gib_sessions():
    result = fit_for(ADVISOR, "Qwen2.5-Coder 32B", "RTX 4090", 1, "Q4_K_M", 8192)
    data = result.as_json()
    assert data["fits"] is True and data["quant"] == "Q4_K_M" and data["gpu"] == "rtx-4090"
    assert data["kv_gib_per_session"] == 2.0  # 256 KiB × 8,192 tokens
    # 24 GiB × 0.9 usable − 18.7 GiB of weights leaves room for one 2 GiB session
    assert data["max_sessions"] == 1
    assert 30 < data["decode_tokens_per_s"] < 40


def test_70b_does_not_fit_one_4090_and_says_why():
    result = fit_for(ADVISOR, "llama-3.3-70b", "rtx-4090", 1, "Q4_K_M", 8192)
    assert result.fits is False and result.max_sessions == 0
    assert "GiB" in result.reason and result.decode_tokens_per_s is None


def test_more_gpus_hold_more_sessions():
    one = fit_for(ADVISOR, "qwen2.5-coder-32b", "h100-sxm", 1, "FP8", 8192)
    eight = fit_for(ADVISOR, "qwen2.5-coder-32b", "h100-sxm", 8, "FP8", 8192)
    assert eight.replicas == 8 and eight.max_sessions == 8 * one.max_sessions


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("qwen2.5-coder-32b", "rtx 4909", 1), "did you mean RTX 4090 24 GB"),
        (("qwen2.5-coder-23b", "rtx-4090", 1), "did you mean Qwen2.5-Coder"),
        (("qwen2.5-coder-32b", "rtx-4090", 0), "at least 1"),
        (("qwen2.5-coder-32b", "rtx-4090", -3), "at least 1"),
        (("qwen2.5-coder-32b", "rtx-4090", 10**40), "more than golocal sizes"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(args, message):
    with pytest.raises(UsageError) as error:
        fit_for(ADVISOR, *args)
    assert message in error.value.message


def test_context_beyond_the_model_is_refused():
    with pytest.raises(UsageError, match="exceed"):
        fit_for(ADVISOR, "qwen2.5-coder-32b", "rtx-4090", 1, None, 10**6)
