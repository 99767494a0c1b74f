"""The llama.cpp backend, for real, with the bundled SmolLM2 GGUF."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import llama_cpp
import pytest

from clm_lsp.llm.base import GenerateOptions, Message, ModelError
from clm_lsp.llm.cancel import CancelToken
from clm_lsp.llm.llama_cpp import LlamaCppChatModel

RIVERS = [Message("user", "Write three sentences about rivers.")]
CITIES = [Message("system", "You are terse."), Message("user", "Name a big city.")]
GREEDY = GenerateOptions(max_tokens=40, temperature=0.0, seed=0)


def test_stream_yields_pieces_that_make_the_reply(chat_model):
    pieces = list(chat_model.stream(RIVERS, GREEDY))
    assert len(pieces) > 5
    assert all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()
    assert chat_model.generate(RIVERS, GREEDY) == "".join(pieces)


def test_max_tokens_bounds_the_reply(chat_model):
    pieces = list(chat_model.stream(RIVERS, GenerateOptions(max_tokens=5)))
    assert 1 <= len(pieces) <= 5
    assert chat_model.last_usage.finish_reason == "length"


def test_cancel_after_n_pieces_stops_within_a_few_tokens(chat_model):
    cancel = CancelToken()
    received = []
    for piece in chat_model.stream(RIVERS, GenerateOptions(max_tokens=200), cancel):
        received.append(piece)
        if len(received) == 4:
            cancel.cancel()
    assert len(received) == 4  # nothing is yielded once the token is cancelled
    assert chat_model.last_usage.finish_reason == "cancelled"
    assert chat_model.last_usage.pieces <= 4 + 3  # the worker stopped too


def test_cancel_from_another_thread(chat_model):
    cancel = CancelToken()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    received = list(chat_model.stream(RIVERS, GenerateOptions(max_tokens=400), cancel))
    timer.join()
    assert chat_model.last_usage.pieces < 200
    assert len(received) <= chat_model.last_usage.pieces


def test_abandoned_stream_frees_the_worker(chat_model):
    stream = chat_model.stream(RIVERS, GenerateOptions(max_tokens=400))
    next(stream)
    stream.close()
    # The next request runs at once and is unaffected by the abandoned one.
    assert chat_model.generate(RIVERS, GREEDY) == chat_model.generate(RIVERS, GREEDY)


def test_same_seed_and_temperature_zero_give_the_same_text(chat_model):
    first = chat_model.generate(RIVERS, GREEDY)
    other = chat_model.generate(CITIES, GREEDY)  # fills the KV cache with another prompt
    again = chat_model.generate(RIVERS, GREEDY)
    assert first == again
    assert other != first


def test_same_seed_gives_the_same_sampled_text(chat_model):
    sampled = GenerateOptions(max_tokens=30, temperature=0.9, seed=1234)
    first = chat_model.generate(RIVERS, sampled)
    chat_model.generate(CITIES, GREEDY)
    assert chat_model.generate(RIVERS, sampled) == first


def test_stop_strings_cut_the_reply(chat_model):
    full = chat_model.generate(RIVERS, GREEDY)
    assert " " in full
    cut = chat_model.generate(RIVERS, GenerateOptions(max_tokens=40, stop=(" ",)))
    assert " " not in cut
    assert full.startswith(cut)


def test_concurrent_callers_are_serialised_by_the_worker(chat_model):
    results: list[str] = [""] * 3
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = chat_model.generate(CITIES, GREEDY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert results[0] and results == [results[0]] * 3


@pytest.mark.parametrize("text", ["", "Hello world", "Timeslice 2027-06-01: [[city#harbour]] déjà vu 🚲", "x" * 3000])
def test_count_tokens_uses_the_models_tokenizer(chat_model, bundled_gguf, text):
    direct = llama_cpp.Llama(str(bundled_gguf), vocab_only=True, verbose=False)
    try:
        expected = len(direct.tokenize(text.encode("utf-8"), add_bos=False))
    finally:
        direct.close()
    assert chat_model.count_tokens(text) == expected


def test_context_length_is_the_configured_one(chat_model):
    assert chat_model.context_length == 2048


def test_prompt_longer_than_the_context_is_a_model_error(chat_model):
    huge = [Message("user", "word " * 3000)]
    with pytest.raises(ModelError, match="too long"):
        chat_model.generate(huge, GREEDY)
    assert chat_model.generate(CITIES, GREEDY)  # still serving


def test_missing_file_is_a_clear_model_error(tmp_path: Path):
    with pytest.raises(ModelError, match="does not exist") as info:
        LlamaCppChatModel(tmp_path / "nope.gguf")
    assert "nope.gguf" in str(info.value)


def test_directory_is_a_clear_model_error(tmp_path: Path):
    with pytest.raises(ModelError, match="is not a file"):
        LlamaCppChatModel(tmp_path)


def test_junk_file_is_a_clear_model_error(tmp_path: Path):
    junk = tmp_path / "x.gguf"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ModelError, match="not a GGUF file"):
        LlamaCppChatModel(junk)


def test_truncated_gguf_is_a_clear_model_error(tmp_path: Path, bundled_gguf: Path):
    broken = tmp_path / "truncated.gguf"
    with bundled_gguf.open("rb") as handle:
        broken.write_bytes(handle.read(64 * 1024))  # a right header, then nothing
    with pytest.raises(ModelError, match="corrupt, truncated"):
        LlamaCppChatModel(broken)


def test_model_larger_than_memory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled_gguf: Path):
    import clm_lsp.llm.gguf_check as gguf_check

    monkeypatch.setattr(gguf_check, "available_memory_bytes", lambda: 1024)
    with pytest.raises(ModelError, match="larger than the free memory"):
        LlamaCppChatModel(bundled_gguf)


def test_quantized_kv_cache_generates(bundled_gguf: Path):
    model = LlamaCppChatModel(bundled_gguf, n_ctx=512, kv_cache_type="q8_0", n_threads=1)
    try:
        assert model.generate(CITIES, GenerateOptions(max_tokens=8)).strip()
    finally:
        model.close()


def test_closed_model_refuses_politely(bundled_gguf: Path):
    model = LlamaCppChatModel(bundled_gguf, n_ctx=256)
    model.close()
    model.close()  # idempotent
    with pytest.raises(ModelError, match="closed"):
        model.generate(CITIES, GREEDY)
    with pytest.raises(ModelError, match="closed"):
        model.count_tokens("hello")


def test_embedder_gives_unit_vectors_of_its_dimensions(embedder):
    texts = ["The harbour district floods every spring.", "Quarterly tax report", ""]
    vectors = embedder.embed_batch(texts)
    assert embedder.dimensions == 576  # SmolLM2-135M's hidden size
    assert [len(v) for v in vectors] == [576] * 3
    for vector in vectors:
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-4)
    assert vectors[0] != vectors[1]


def test_embedding_is_stable_and_independent_of_the_batch(embedder):
    alone = embedder.embed("The harbour district floods every spring.")
    batched = embedder.embed_batch(["Something else entirely.", "The harbour district floods every spring."])[1]
    assert max(abs(a - b) for a, b in zip(alone, batched)) < 1e-3
    assert embedder.embed_batch([]) == []
