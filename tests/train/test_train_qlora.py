"""`clm-lsp train qlora`: config checks, the dry-run plan, the clear errors; real QLoRA steps where CUDA is."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clm_lsp.train.config import ConfigError, load_config
from clm_lsp.train.modelfile import TEMPLATES, modelfile_text
from clm_lsp.train.qlora import lora_params, memory_estimate, unsloth_minimum_bytes

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "clm_lsp" / "train" / "example-train.toml"
COMMONS = REPO / "fixtures" / "commons"


def clm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clm_lsp", "train", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, check=False)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there")
    shutil.copy(EXAMPLE, tmp_path / "train.toml")
    done = clm("export", str(COMMONS), "--out", "data.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_dry_run_prints_the_plan_with_memory(run_dir: Path) -> None:
    done = clm("qlora", "--config", "train.toml", "--dry-run", "--vram", "24", "--json", cwd=run_dir)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["unsloth_model"] == "unsloth/Qwen2.5-32B-Instruct-bnb-4bit" and plan["load_in_4bit"]
    assert plan["lora"]["r"] == 16 and plan["lora"]["trainable_params"] == 64 * 16 * (10240 + 6144 * 2 + 10240 + 32768 * 3)
    assert plan["responses_only"]["response_part"] == "<|im_start|>assistant\n"
    assert plan["data"]["train_examples"] > 100 and plan["data"]["validation_examples"] > 0 and not plan["data"]["problems"]
    assert plan["training"]["steps"] == -(-plan["data"]["train_examples"] // 8)
    mem = plan["memory"]
    assert mem["needed"] >= mem["estimate"]["total"] and mem["gpu_bytes"] == 24 * 2**30
    assert mem["fits"] is False  # 32B QLoRA at 4k tokens: unsloth itself asks for 26 GB
    assert plan["export"]["quantization"] == "q4_k_m" and plan["export"]["modelfile"].endswith("Modelfile")
    human = clm("qlora", "--config", "train.toml", "--dry-run", "--vram", "48", cwd=run_dir)
    assert human.returncode == 0 and "fits" in human.stdout and "responses only" in human.stdout


def test_training_without_unsloth_or_cuda_is_one_clear_message(run_dir: Path) -> None:
    if importlib.util.find_spec("unsloth") is not None:
        pytest.skip("unsloth is installed here")
    done = clm("qlora", "--config", "train.toml", "--vram", "24", cwd=run_dir)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "pip install 'clm-lsp[train]'" in done.stderr and "NVIDIA GPU" in done.stderr


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[model]\nbase = 'qwen2.5-32b'\nmax_seq_length = 'long'\n", "model.max_seq_length: must be a whole number"),
        ("[model]\nbase = 'qwen2.5-32b'\n[lora]\nr = 0\n", "lora.r: must be between 1"),
        ("[model]\nbase = 'qwen2.5-32b'\n[lora]\nrank = 8\n", "lora.rank: unknown key"),
        ("[modle]\nbase = 'x'\n", "[modle]: unknown table"),
        ("[model]\nbase = 'org/some-model'\n", "model.unsloth_model: required"),
        ("[model]\nbase = 'qwen2.5-32b'\nchat_family = 'llama3'\n", "model.chat_family: one of"),
        ("[model]\nbase = 'qwen2.5-32b'\n[export]\ngguf_quant = 'q3'\n", "export.gguf_quant"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_config_problems_are_all_named(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "train.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any(words in p for p in caught.value.problems), caught.value.problems
    done = clm("qlora", "--config", "train.toml", "--dry-run", cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_missing_or_broken_data_is_reported(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "train.toml")
    done = clm("qlora", "--config", "train.toml", "--dry-run", "--vram", "24", cwd=tmp_path)
    assert done.returncode == 2 and "no such file" in done.stdout and "train export" in done.stdout
    (tmp_path / "data.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\nnot json\n', encoding="utf-8")
    done = clm("qlora", "--config", "train.toml", "--dry-run", "--vram", "24", cwd=tmp_path)
    assert done.returncode == 2 and "data.jsonl:1: the last message" in done.stdout and "data.jsonl:2: not JSON" in done.stdout


def test_memory_arithmetic() -> None:
    cfg = load_config(EXAMPLE)
    spec = cfg.spec
    assert lora_params(spec, 16, ("q_proj",)) == 64 * 16 * (5120 + 5120)
    est = memory_estimate(cfg)
    assert 14 * 2**30 < est["base_4bit"] < 17 * 2**30 and est["total"] == sum(v for k, v in est.items() if k != "total")
    assert unsloth_minimum_bytes(32_000_000_000) == 26_000_000_000
    assert unsloth_minimum_bytes(20_500_000_000) == pytest.approx(15_250_000_000, rel=0.01)


def test_modelfiles_carry_each_familys_template() -> None:
    for family, (_template, stops) in TEMPLATES.items():
        text = modelfile_text("unsloth.Q4_K_M.gguf", family, num_ctx=8192)
        assert text.startswith("FROM ./unsloth.Q4_K_M.gguf\n") and 'TEMPLATE """' in text
        assert all(f'PARAMETER stop "{s}"' in text for s in stops) and "PARAMETER num_ctx 8192" in text
    assert "<|im_start|>assistant" in modelfile_text("m.gguf", "chatml")
    assert "<start_of_turn>model" in modelfile_text("m.gguf", "gemma")


def _cuda() -> bool:
    if importlib.util.find_spec("unsloth") is None or importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda(), reason="needs the train extra (unsloth, torch) and a CUDA device")
def test_a_few_real_qlora_steps_and_the_gguf_export(run_dir: Path) -> None:
    """Three steps of the real recipe on a small 4-bit model, then GGUF + Modelfile."""
    from clm_lsp.train.qlora import train

    (run_dir / "train.toml").write_text(
        "[model]\nbase = 'unsloth/Qwen2.5-0.5B-Instruct-bnb-4bit'\nunsloth_model = 'unsloth/Qwen2.5-0.5B-Instruct-bnb-4bit'\n"
        "chat_family = 'chatml'\nchat_template = 'qwen-2.5'\nmax_seq_length = 2048\n"
        "[data]\ntrain = 'data.jsonl'\n[training]\nmax_steps = 3\ngradient_accumulation_steps = 1\n", encoding="utf-8")
    result = train(load_config(run_dir / "train.toml"))
    assert result["steps"] == 3 and result["train_loss"] is not None
    assert Path(result["gguf"]).stat().st_size > 1_000_000 and "FROM ./" in Path(result["modelfile"]).read_text()
