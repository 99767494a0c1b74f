"""The arithmetic on the spec's three models, the verdicts and the suggestions, the budget check."""

from __future__ import annotations

import pytest

from clm_lsp.blueprint import parse
from clm_lsp.blueprint.codes import CODES, CONTEXT_BUDGET
from clm_lsp.blueprint.model import Severity
from clm_lsp.hardware import MODELS, GiB, bytes_per_token, find_model, given_pool, kv_cache, max_context, plan, suggestions, tier_for
from clm_lsp.hardware.budget_check import FITS, OVER_MEMORY, OVER_WINDOW, check_blueprint, check_tokens, lens_title, problem
from clm_lsp.hardware.machine import MemoryPool, parse_nvidia_smi
from clm_lsp.hardware.tiers import compute_buffer_bytes, max_gpu_layers, tier_needed

QWEN, GEMMA, MISTRAL = (find_model(n).shape() for n in ("qwen2.5-32b", "gemma-2-27b", "mistral-small-22b"))
RTX_4090 = given_pool(24)


def test_bytes_per_token_is_two_layers_kv_heads_head_dim_bytes() -> None:
    # 2 (K and V) x layers x KV heads x head dim x 2 bytes (f16), from each model's config.json
    assert bytes_per_token(QWEN) == 2 * 64 * 8 * 128 * 2 == 262_144
    assert bytes_per_token(GEMMA) == 2 * 46 * 16 * 128 * 2 == 376_832
    assert bytes_per_token(MISTRAL) == 2 * 56 * 8 * 128 * 2 == 229_376
    # q8_0: 34 bytes per 32 values; q4_0: 18 bytes per 32
    assert bytes_per_token(QWEN, "q8_0") == 262_144 // 2 * 34 // 32
    assert bytes_per_token(QWEN, "q4_0") == 262_144 // 2 * 18 // 32


def test_gemma_sliding_window_caps_half_its_layers() -> None:
    capped, full = kv_cache(GEMMA, 8192, "f16"), kv_cache(GEMMA, 8192, "f16", swa_full=True)
    assert capped.swa_layers == 23 and capped.swa_cells == 4096 + 512
    assert full.bytes == 8192 * 376_832
    assert capped.bytes == 23 * (8192 + 4608) * 8192


def test_qwen_32b_with_40k_context_on_a_4090() -> None:
    """The spec's example: Q4_K_M weights plus a 40k f16 cache do not fit 24 GB; a quantized cache does."""
    f16, q8, q4 = (plan(QWEN, 40_960, kv, RTX_4090) for kv in ("f16", "q8_0", "q4_0"))
    assert f16.kv.bytes == 10 * GiB and not f16.fits and f16.total > 28 * GiB
    assert not q8.fits  # 24.4 GiB: just over
    assert q4.fits and q4.total < 23 * GiB
    assert f16.needs_rope_scaling and f16.within_window  # 40k > 32,768: YaRN, as the model card says
    advice = " ".join(suggestions(QWEN, f16))
    assert "YaRN" in advice and "q4_0" in advice and "n_gpu_layers=" in advice and "Tier 2" in advice
    layers = max_gpu_layers(QWEN, 40_960, "f16", RTX_4090)
    assert 40 < layers < 64 and plan(QWEN, 40_960, "f16", RTX_4090, gpu_layers=layers).fits
    assert not plan(QWEN, 40_960, "f16", RTX_4090, gpu_layers=layers + 1).fits


def test_gemma_window_cannot_hold_a_tier_1_blueprint() -> None:
    b = plan(GEMMA, 40_960, "q4_0", RTX_4090)
    assert b.fits and not b.within_window  # memory is not the problem: the 8,192-token window is
    advice = suggestions(GEMMA, b)
    assert len(advice) == 1 and "8,192" in advice[0] and "cannot be held" in advice[0]
    assert max_context(GEMMA, "f16", RTX_4090) == 8192  # capped at the window


def test_max_context_is_the_boundary() -> None:
    for shape in (QWEN, MISTRAL):
        for kv in ("f16", "q8_0", "q4_0"):
            best = max_context(shape, kv, RTX_4090)
            assert plan(shape, best, kv, RTX_4090).fits
            if best < shape.max_context:
                assert not plan(shape, best + 256, kv, RTX_4090).fits
    assert max_context(QWEN, "f16", given_pool(8)) == 0  # the weights alone are over


def test_tiers() -> None:
    assert tier_for(given_pool(24).usable_bytes).number == 1
    assert tier_for(int(23.99 * GiB)).number == 1  # what a "24 GB" card reports
    assert tier_for(given_pool(48).usable_bytes).number == 2
    assert tier_for(given_pool(80).usable_bytes).number == 3
    assert tier_for(given_pool(12).usable_bytes) is None
    assert tier_needed(29 * GiB).number == 2 and tier_needed(200 * GiB) is None


def test_compute_buffer_grows_without_flash_attention() -> None:
    assert compute_buffer_bytes(QWEN, 40_960, flash_attn=False) > 3 * GiB > compute_buffer_bytes(QWEN, 40_960)


def test_find_model_accepts_ollama_tags_and_repos() -> None:
    assert find_model("qwen2.5:32b").key == "qwen2.5-32b"
    assert find_model("google/gemma-2-27b-it").key == "gemma-2-27b"
    assert find_model("Mistral-Small-Instruct-2409").key == "mistral-small-22b"
    assert find_model("llama3:8b") is None
    assert len(MODELS) == 3


def test_nvidia_smi_output_is_parsed() -> None:
    gpus = parse_nvidia_smi("0, NVIDIA GeForce RTX 4090, 24564, 23012\n1, NVIDIA GeForce RTX 4090, 24564, 24000\nbad line\n")
    assert [g.name for g in gpus] == ["NVIDIA GeForce RTX 4090"] * 2
    assert gpus[0].total_bytes == 24564 * 2**20 and gpus[0].free_bytes == 23012 * 2**20


def _blueprint(words: int) -> object:
    body = " ".join(["river"] * words)
    text = f"---\nid: big\nscale: city\n---\n# Big City\n\n## Vision\n{body}\n"
    return parse(text, "file:///w/big.blueprint.md")[0]


def test_budget_check_verdicts_and_problem() -> None:
    assert CODES[CONTEXT_BUDGET][0] is Severity.WARNING
    small = check_blueprint(_blueprint(200), QWEN, RTX_4090)
    assert small.state == FITS and problem(small, _blueprint(200)) is None and lens_title(small).endswith("fits")
    big_bp = _blueprint(30_000)  # about 45,000 tokens with the heading
    big = check_blueprint(big_bp, QWEN, RTX_4090)
    assert big.state == OVER_MEMORY
    found = problem(big, big_bp)
    assert found.code == CONTEXT_BUDGET and found.severity is Severity.WARNING
    assert found.range == big_bp.title_range
    assert "over the memory" in found.message and f"{big.tokens:,}" in found.message
    assert found.data["kvBytes"] == big.budget.kv.bytes and found.data["maxFit"] == big.max_fit
    quantized = check_blueprint(big_bp, QWEN, RTX_4090, "q4_0")
    assert quantized.state == FITS
    window = check_blueprint(big_bp, GEMMA, RTX_4090, "q4_0")
    assert window.state == OVER_WINDOW and problem(window, big_bp).severity is Severity.INFORMATION


def test_cpu_only_memory_counts_every_tensor() -> None:
    ram = MemoryPool("ram", "system memory", 32 * GiB, 30 * GiB)
    on_gpu, on_cpu = plan(QWEN, 8192, "f16", RTX_4090), plan(QWEN, 8192, "f16", ram)
    assert on_cpu.weights == QWEN.weight_bytes > on_gpu.weights  # the embedding table included
    assert check_tokens(1000, QWEN, ram).budget.overhead == 0


@pytest.mark.parametrize("kv", ["f16", "q8_0", "q4_0"])
def test_partial_offload_moves_cache_and_weights(kv: str) -> None:
    half = plan(QWEN, 16_384, kv, RTX_4090, gpu_layers=32)
    full = plan(QWEN, 16_384, kv, RTX_4090)
    assert half.kv.bytes * 2 == full.kv.bytes
    assert half.weights < full.weights / 2 + 1  # half the layers, no output layer


def test_detecting_this_machine_finds_memory() -> None:
    import shutil

    from clm_lsp.hardware import best_pool, detect

    machine = detect()
    pool = best_pool(machine)
    assert machine.ram_total_bytes > 0 and 0 < pool.usable_bytes <= max(pool.total_bytes, pool.usable_bytes)
    if shutil.which("nvidia-smi") is None and not machine.apple_unified_bytes:
        assert pool.kind == "ram" and pool.usable_bytes <= machine.ram_total_bytes
