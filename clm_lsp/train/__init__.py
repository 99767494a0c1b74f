"""Fine-tuning on a workspace's own blueprints: dataset export and the QLoRA recipe.

``export`` builds a chat-format JSONL dataset (section reconstruction and
summarisation pairs, split by entity); ``qlora`` validates a ``train.toml``,
estimates memory, and runs unsloth's QLoRA recipe where the ``train`` extra and an
NVIDIA GPU are present, then exports a Q4_K_M GGUF and an Ollama Modelfile.
"""

from __future__ import annotations
