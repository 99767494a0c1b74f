"""The spec's three models, for planning without their files.

Each entry copies the architecture from the model's own ``config.json`` on its
Hugging Face page (cited per field below), the parameter count from the same
page, and the size of the Q4_K_M GGUF as published in the widely used
``bartowski/<model>-GGUF`` repositories. ``clm-lsp doctor --model FILE.gguf``
reads the same numbers from a real file instead; tests/hardware check that a
GGUF built with these numbers reads back as this table says.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shape import ModelShape, swa_layout


@dataclass(frozen=True)
class ModelSpec:
    key: str
    title: str
    hf_repo: str
    gguf_arch: str
    params: int
    n_layer: int
    n_embd: int
    n_ff: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_vocab: int
    n_ctx_train: int
    q4_k_m_bytes: int
    tied_embeddings: bool
    n_swa: int = 0
    n_ctx_scaled: int = 0
    chat_family: str = "chatml"
    """Which chat template the model uses: chatml | gemma | mistral."""
    unsloth_model: str = ""
    unsloth_template: str = ""
    aliases: tuple[str, ...] = ()

    def shape(self, quant: str = "Q4_K_M") -> ModelShape:
        weights = estimate_weight_bytes(self, quant)
        # Q4_K_M stores token_embd as Q4_K (4.5 bits); llama.cpp keeps it in system memory
        # unless the output layer shares it (tied embeddings), which then lives on the GPU.
        embd = 0 if self.tied_embeddings else int(self.n_vocab * self.n_embd * 4.5 / 8 * weights / self.q4_k_m_bytes)
        return ModelShape(
            name=self.title,
            architecture=self.gguf_arch,
            n_layer=self.n_layer,
            n_head=(self.n_head,) * self.n_layer,
            n_head_kv=(self.n_head_kv,) * self.n_layer,
            head_dim_k=self.head_dim,
            head_dim_v=self.head_dim,
            n_embd=self.n_embd,
            n_ff=self.n_ff,
            n_vocab=self.n_vocab,
            n_ctx_train=self.n_ctx_train,
            n_swa=self.n_swa,
            swa_layers=swa_layout(self.gguf_arch, self.n_layer, self.n_swa),
            weight_bytes=weights,
            embd_bytes=embd,
            params=self.params,
            quant=quant.upper(),
            file_bytes=weights,
            n_ctx_scaled=self.n_ctx_scaled,
        )


QUANT_RATIO = {
    "Q8_0": 1.75,
    "Q6_K": 1.35,
    "Q5_K_M": 1.17,
    "Q4_K_M": 1.0,
    "Q4_K_S": 0.95,
    "IQ4_XS": 0.88,
    "Q3_K_M": 0.82,
    "IQ3_M": 0.76,
    "Q2_K": 0.65,
}
"""File size relative to Q4_K_M (approximate: from the sizes llama.cpp's quantize tool
lists for Llama-3-8B; the real ratio varies by a few percent per model)."""


def estimate_weight_bytes(spec: ModelSpec, quant: str) -> int:
    ratio = QUANT_RATIO.get(quant.upper())
    if ratio is None:
        raise ValueError(f"unknown quantization {quant!r}; one of {', '.join(QUANT_RATIO)}")
    return int(spec.q4_k_m_bytes * ratio)


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        key="qwen2.5-32b",
        title="Qwen2.5-32B-Instruct",
        hf_repo="Qwen/Qwen2.5-32B-Instruct",
        gguf_arch="qwen2",
        params=32_763_876_352,  # model page: "Number of Parameters: 32.5B" (32.8B counted with embeddings)
        n_layer=64,  # config.json num_hidden_layers
        n_embd=5120,  # hidden_size
        n_ff=27648,  # intermediate_size
        n_head=40,  # num_attention_heads
        n_head_kv=8,  # num_key_value_heads (GQA: 40 for Q and 8 for KV)
        head_dim=128,  # hidden_size / num_attention_heads
        n_vocab=152064,  # vocab_size
        n_ctx_train=32768,  # max_position_embeddings; use_sliding_window false
        n_ctx_scaled=131072,  # model card: YaRN rope_scaling factor 4.0 over 32768
        q4_k_m_bytes=19_850_000_000,  # Qwen2.5-32B-Instruct-Q4_K_M.gguf: 19.85 GB
        tied_embeddings=False,  # tie_word_embeddings false
        chat_family="chatml",
        unsloth_model="unsloth/Qwen2.5-32B-Instruct-bnb-4bit",
        unsloth_template="qwen-2.5",
        aliases=("qwen2.5:32b", "qwen2.5-32b-instruct", "qwen2.5:32b-instruct"),
    ),
    ModelSpec(
        key="gemma-2-27b",
        title="Gemma-2-27B-it",
        hf_repo="google/gemma-2-27b-it",
        gguf_arch="gemma2",
        params=27_227_128_320,  # model page: 27.2B
        n_layer=46,  # config.json num_hidden_layers
        n_embd=4608,  # hidden_size
        n_ff=36864,  # intermediate_size
        n_head=32,  # num_attention_heads
        n_head_kv=16,  # num_key_value_heads
        head_dim=128,  # head_dim
        n_vocab=256000,  # vocab_size
        n_ctx_train=8192,  # max_position_embeddings
        n_swa=4096,  # sliding_window (cache_implementation "hybrid": every other layer local)
        q4_k_m_bytes=16_650_000_000,  # gemma-2-27b-it-Q4_K_M.gguf: 16.65 GB
        tied_embeddings=True,
        chat_family="gemma",
        unsloth_model="unsloth/gemma-2-27b-it-bnb-4bit",
        unsloth_template="gemma2",
        aliases=("gemma2:27b", "gemma-2-27b-it", "gemma2-27b"),
    ),
    ModelSpec(
        key="mistral-small-22b",
        title="Mistral-Small-Instruct-2409 (22B)",
        hf_repo="mistralai/Mistral-Small-Instruct-2409",
        gguf_arch="llama",  # llama.cpp converts MistralForCausalLM to its llama architecture
        params=22_247_282_688,  # model page: 22.2B
        n_layer=56,  # config.json num_hidden_layers
        n_embd=6144,  # hidden_size
        n_ff=16384,  # intermediate_size
        n_head=48,  # num_attention_heads
        n_head_kv=8,  # num_key_value_heads
        head_dim=128,  # hidden_size / num_attention_heads
        n_vocab=32768,  # vocab_size
        n_ctx_train=32768,  # model card: "32k sequence length"
        q4_k_m_bytes=13_340_000_000,  # Mistral-Small-Instruct-2409-Q4_K_M.gguf: 13.34 GB
        tied_embeddings=False,
        chat_family="mistral",
        unsloth_model="unsloth/Mistral-Small-Instruct-2409",
        unsloth_template="mistral",
        aliases=("mistral-small:22b", "mistral-small", "mistral-small-instruct-2409", "mistral-small-22b-instruct"),
    ),
)


def find_model(name: str) -> ModelSpec | None:
    """A built-in model by key, alias, title or Hugging Face repo (case-insensitive)."""
    wanted = name.strip().lower()
    for spec in MODELS:
        names = {spec.key, spec.title.lower(), spec.hf_repo.lower(), spec.hf_repo.split("/")[-1].lower(), *spec.aliases}
        if wanted in names:
            return spec
    return None


def model_names() -> list[str]:
    return [spec.key for spec in MODELS]
