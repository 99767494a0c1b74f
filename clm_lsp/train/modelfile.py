"""Ollama Modelfiles for a fine-tuned GGUF, with the base model's chat template.

Ollama templates are Go templates, not the Jinja templates inside a GGUF, so each
chat family the built-in models use is written out here once. The markers are
the ones the responses-only loss masks on, so training and serving agree.
"""

from __future__ import annotations

TEMPLATES = {
    "chatml": (
        "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
        "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
        "<|im_start|>assistant\n",
        ("<|im_start|>", "<|im_end|>"),
    ),
    "gemma": (
        "{{- range .Messages }}<start_of_turn>{{ if eq .Role \"assistant\" }}model{{ else }}user{{ end }}\n"
        "{{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n",
        ("<start_of_turn>", "<end_of_turn>"),
    ),
    "mistral": (
        "{{- range .Messages }}{{- if eq .Role \"user\" }}[INST] {{ if $.System }}{{ $.System }}\n\n{{ end }}"
        "{{ .Content }}[/INST]{{- else if eq .Role \"assistant\" }} {{ .Content }}</s>{{- end }}{{- end }}",
        ("[INST]", "[/INST]", "</s>"),
    ),
}

RESPONSE_MARKERS = {
    "chatml": ("<|im_start|>user\n", "<|im_start|>assistant\n"),
    "gemma": ("<start_of_turn>user\n", "<start_of_turn>model\n"),
    "mistral": ("[INST]", "[/INST]"),
}
"""(instruction part, response part) for unsloth's ``train_on_responses_only``."""


def modelfile_text(gguf_name: str, family: str, *, system: str | None = None, num_ctx: int = 4096) -> str:
    template, stops = TEMPLATES[family]
    lines = [f"FROM ./{gguf_name}", f'TEMPLATE """{template}"""']
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    lines.append(f"PARAMETER num_ctx {num_ctx}")
    if system:
        lines.append(f'SYSTEM """{system}"""')
    return "\n".join(lines) + "\n"
