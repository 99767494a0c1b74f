"""The model interface: one abstract method per kind of model, the rest derived.

Modelled on simonw/llm (``Model.execute``, ``EmbeddingModel.embed_batch``): a
backend implements ``ChatModel.stream`` or ``Embedder.embed_batch`` and inherits
``generate`` / ``embed``. Every backend maps its own failures to :class:`ModelError`
so callers handle one exception type with a message fit to show a user.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from clm_lsp.llm.cancel import Cancelled, CancelToken

__all__ = [
    "Cancelled",
    "CancelToken",
    "ChatModel",
    "Embedder",
    "GenerateOptions",
    "Message",
    "ModelError",
]


class ModelError(Exception):
    """A model or endpoint failure, with a one-line, user-facing message.

    Examples: "Ollama at http://127.0.0.1:11434 is not answering (connection
    refused)", "model file /x.gguf is not a valid GGUF file".
    """

    def __init__(self, message: str) -> None:
        # One line only: the message ends up in a status bar or a log line.
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Message:
    role: str
    """"system", "user" or "assistant"."""
    content: str


@dataclass(frozen=True)
class GenerateOptions:
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = 0
    """None lets the backend pick a random seed; an int makes runs repeatable."""

    def __post_init__(self) -> None:
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ModelError(f"max_tokens must be a positive integer, not {self.max_tokens!r}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ModelError(f"temperature must be between 0 and 5, not {self.temperature!r}")
        if not 0.0 < self.top_p <= 1.0:
            raise ModelError(f"top_p must be in (0, 1], not {self.top_p!r}")
        if isinstance(self.stop, str):
            # A lone string would be read as a tuple of characters.
            object.__setattr__(self, "stop", (self.stop,))

    def stop_and_seed(self) -> dict[str, Any]:
        """The two optional request fields, as OpenAI and Ollama both name them, present
        only when set: ``stop`` (a list) and ``seed``."""
        fields: dict[str, Any] = {}
        if self.stop:
            fields["stop"] = list(self.stop)
        if self.seed is not None:
            fields["seed"] = self.seed
        return fields


class ChatModel(abc.ABC):
    """A chat model. Subclasses implement :meth:`stream` only."""

    model_id: str = ""
    backend: str = ""

    @abc.abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        options: GenerateOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        """Yield pieces of the reply as they are produced.

        Stops early (without raising) when ``cancel`` is cancelled; raises
        :class:`ModelError` on any backend failure.
        """

    def generate(
        self,
        messages: Sequence[Message],
        options: GenerateOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> str:
        """The whole reply as one string (the stream joined)."""
        return "".join(self.stream(messages, options, cancel))

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text``; backends with a tokenizer override this.

        The default is an estimate (about 4 characters a token, the usual
        figure for English BPE vocabularies), never less than one word a token.
        """
        if not text:
            return 0
        return max(len(text.split()), (len(text) + 3) // 4)

    @property
    def context_length(self) -> int:
        """The context window in tokens (prompt plus reply)."""
        return 4096

    def close(self) -> None:
        """Release the model (threads, memory, connections). Idempotent."""


class Embedder(abc.ABC):
    """A text embedder. Subclasses implement :meth:`embed_batch` only."""

    model_id: str = ""
    dimensions: int = 0

    @abc.abstractmethod
    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """One vector of length :attr:`dimensions` per text, in order."""

    def embed(self, text: str) -> list[float]:
        return self.embed_batch([text])[0]

    def close(self) -> None:
        """Release the model. Idempotent."""


class ProbedDimensions:
    """For remote embedders whose API does not state the vector length: ask once.

    Mixed in before :class:`Embedder`; the subclass sets ``self._dimensions = None``.
    """

    _dimensions: int | None = None

    @property
    def dimensions(self) -> int:  # type: ignore[override]
        if self._dimensions is None:
            self._dimensions = len(self.embed_batch(["dimensions probe"])[0])  # type: ignore[attr-defined]
        return self._dimensions
