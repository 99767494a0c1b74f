"""Benchmark our llama.cpp backend against llama-cpp-python called directly.

Usage: python bench/model.py [--model PATH.gguf] [--runs 5] [--max-tokens 128]
                             [--n-ctx 2048] [--threads N]

Same GGUF (the bundled SmolLM2-135M-Instruct Q4_1 by default), same prompt, same
settings (greedy, seed 0, cold KV cache each run), runs alternating between the
two paths after one warm-up each. Prints load time, prompt-processing tokens/s
(prompt tokens / time to the first piece) and generation tokens/s (pieces after
the first / time from the first to the last piece; one piece is one token here),
as medians, and ours as a percentage of direct (target >= 95%).
Figures are printed, never asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import llama_cpp  # noqa: E402

from clm_lsp.llm.base import GenerateOptions, Message  # noqa: E402
from clm_lsp.llm.bundled import require_bundled_gguf  # noqa: E402
from clm_lsp.llm.llama_cpp import LlamaCppChatModel  # noqa: E402

PARAGRAPH = (
    "The harbour district holds its assembly every second Thursday. Members rotate the chair, "
    "keep a shared budget for repairs, and run a tool library, a food cooperative and a small "
    "solar fund. Decisions are recorded in the blueprint with the date they were taken. "
)
PROMPT = [
    Message("system", "You are a careful assistant who writes long, detailed answers."),
    Message("user", PARAGRAPH * 6 + "\nDescribe this district in detail, in several paragraphs."),
]


def _timed(pieces: Iterator[str]) -> tuple[float, float, int]:
    """(seconds to the first piece, seconds from first to last, number of pieces)."""
    start = time.perf_counter()
    first = last = start
    count = 0
    for _ in pieces:
        now = time.perf_counter()
        if count == 0:
            first = now
        last = now
        count += 1
    return first - start, last - first, count


def _direct_stream(llm: llama_cpp.Llama, options: GenerateOptions) -> Iterator[str]:
    llm.reset()  # the same cold start our backend does
    messages = [{"role": m.role, "content": m.content} for m in PROMPT]
    for chunk in llm.create_chat_completion(
        messages=messages, stream=True, max_tokens=options.max_tokens,
        temperature=options.temperature, top_p=options.top_p, seed=options.seed,
    ):
        piece = chunk["choices"][0]["delta"].get("content")
        if piece:
            yield piece


def _prompt_tokens(llm: llama_cpp.Llama) -> int:
    # With max_tokens=1 the sampled token is never evaluated: n_tokens is the prompt.
    list(_direct_stream(llm, GenerateOptions(max_tokens=1)))
    return llm.n_tokens


def _load(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    obj = fn()
    return obj, time.perf_counter() - start


def measure(model: Path | None = None, runs: int = 5, max_tokens: int = 128, n_ctx: int = 2048,
            threads: int | None = None) -> dict:
    """Run the comparison and return its figures (bench/compare.py calls this; main prints it)."""
    path = model or require_bundled_gguf()
    kwargs = dict(n_ctx=n_ctx, verbose=False)
    if threads:
        kwargs.update(n_threads=threads, n_threads_batch=threads)

    ours, ours_load = _load(lambda: LlamaCppChatModel(path, n_ctx=n_ctx, n_threads=threads))
    direct, direct_load = _load(lambda: llama_cpp.Llama(str(path), **kwargs))
    n_prompt = _prompt_tokens(direct)
    options = GenerateOptions(max_tokens=max_tokens, temperature=0.0, seed=0)
    paths = {
        "ours": lambda: ours.stream(PROMPT, options),
        "direct": lambda: _direct_stream(direct, options),
    }
    results: dict[str, list[tuple[float, float, int]]] = {"ours": [], "direct": []}
    for name in paths:  # warm-up
        _timed(paths[name]())
    for _ in range(runs):
        for name, run in paths.items():
            results[name].append(_timed(run()))
    ours.close()
    direct.close()
    return _figures(path, n_prompt, ours_load, direct_load, results)


def _figures(path: Path, n_prompt: int, ours_load: float, direct_load: float, results) -> dict:
    def pp(name: str) -> float:
        return statistics.median(n_prompt / ttf for ttf, _, _ in results[name])

    def tg(name: str) -> float:
        return statistics.median((n - 1) / span for _, span, n in results[name] if n > 1 and span > 0)

    return {
        "model": path.name, "model_path": str(path), "model_bytes": path.stat().st_size,
        "prompt_tokens": n_prompt, "runs": len(results["ours"]),
        "load_s": {"ours": ours_load, "direct": direct_load},
        "pieces": {name: statistics.median(n for _, _, n in runs) for name, runs in results.items()},
        "prompt_tps": {"ours": pp("ours"), "direct": pp("direct")},
        "generation_tps": {"ours": tg("ours"), "direct": tg("direct")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    _report(measure(args.model, args.runs, args.max_tokens, args.n_ctx, args.threads))
    return 0


def _report(f: dict) -> None:
    print(f"model: {f['model']}   prompt: {f['prompt_tokens']} tokens   runs: {f['runs']} each, alternating")
    print(f"load time           ours {f['load_s']['ours']:7.2f} s    direct {f['load_s']['direct']:7.2f} s")
    print(f"generated pieces    ours {f['pieces']['ours']:7.0f}      direct {f['pieces']['direct']:7.0f}")
    for label, key in (("prompt processing", "prompt_tps"), ("generation", "generation_tps")):
        ours, direct = f[key]["ours"], f[key]["direct"]
        print(f"{label:<19} ours {ours:7.1f} t/s  direct {direct:7.1f} t/s  ratio {100 * ours / direct:5.1f}%")


if __name__ == "__main__":
    raise SystemExit(main())
