"""The Helix and Emacs configurations parse, and say what the server expects.

Helix: tomllib parses languages.toml, and its `config` is a settings tree the server loads
without a single warning. Emacs: no Emacs 29+ (eglot) on Debian 12, so a Python reader
checks clm-eglot.el: balanced parentheses outside strings, comments and character
literals, every top-level item a list, and the forms that wire eglot present."""

from __future__ import annotations

import re
import tomllib

from editors_build import REPO

from clm_lsp.server.config import load_config

HELIX = REPO / "editor-clients" / "helix"
EMACS = REPO / "editor-clients" / "emacs" / "clm-eglot.el"


def test_helix_languages_toml() -> None:
    doc = tomllib.loads((HELIX / "languages.toml").read_text(encoding="utf-8"))
    server = doc["language-server"]["clm-lsp"]
    assert [server["command"], *server["args"]] == ["clm-lsp", "serve"]
    config, warnings = load_config(server["config"])
    assert warnings == [], warnings
    assert config.model.backend == "bundled"
    (language,) = [lang for lang in doc["language"] if lang["name"] == "blueprint"]
    assert language["file-types"] == [{"glob": "*.blueprint.md"}]
    assert language["language-servers"] == ["clm-lsp"]
    assert "clm.toml" in language["roots"] and language["grammar"] == "markdown"
    for query in ("highlights", "injections"):
        text = (HELIX / "runtime" / "queries" / "blueprint" / f"{query}.scm").read_text(encoding="utf-8")
        assert text.strip() == "; inherits: markdown"


def read_sexps(text: str) -> list[object]:
    """A small Emacs Lisp reader: nested lists of atoms; raises ValueError on bad structure."""
    tokens = re.finditer(r'''\s+|;[^\n]*|"(?:\\.|[^"\\])*"|\?\\?.|[()\[\]]|[^\s()\[\]";]+''', text, re.S)
    stack: list[list[object]] = [[]]
    closers = {")": "(", "]": "["}
    opened: list[str] = []
    pos = 0
    for m in tokens:
        if m.start() != pos:
            raise ValueError(f"unreadable text at offset {pos}: {text[pos:pos + 20]!r}")
        pos = m.end()
        tok = m.group()
        if tok.isspace() or tok.startswith(";"):
            continue
        if tok in "([":
            opened.append(tok)
            stack.append([])
        elif tok in ")]":
            if not opened or opened.pop() != closers[tok]:
                raise ValueError(f"unbalanced {tok!r} at offset {m.start()}")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(tok)
    if pos != len(text):
        raise ValueError(f"unreadable text at offset {pos} (an unterminated string?)")
    if opened:
        raise ValueError(f"{len(opened)} unclosed parenthesis(es)")
    return stack[0]


def test_reader_rejects_broken_lisp() -> None:
    for bad in ['(a (b)', '(a))', '(a "b)', '(a [b)]']:
        try:
            read_sexps(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")
    assert read_sexps('(a ?\\( "x)" ; )\n [b])') == [["a", "?\\(", '"x)"', ["b"]]]


def test_emacs_eglot_snippet() -> None:
    forms = read_sexps(EMACS.read_text(encoding="utf-8"))
    assert all(isinstance(f, list) and f for f in forms), [f for f in forms if not isinstance(f, list)]
    heads = [f[0] for f in forms]
    assert heads.count("require") == 3 and "provide" in heads
    flat = EMACS.read_text(encoding="utf-8")
    assert "'eglot-server-programs" in flat and '("clm-lsp" "serve")' in flat
    assert """'("\\\\.blueprint\\\\.md\\\\'" . clm-blueprint-mode)""" in flat
    defuns = {f[1] for f in forms if f[0] == "defun"}
    assert {"clm-show-context", "clm-zoom-in", "clm-synthesize", "clm-status"} <= defuns
    for command in ("clm.showContext", "clm.zoomIn", "clm.synthesizeSection", "clm.status"):
        assert f'"{command}"' in flat
