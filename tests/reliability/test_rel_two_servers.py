"""Two servers on one workspace (two editor windows on one folder): Kuzu allows one writer.

The second finds the store locked (index/store.py): it tells the user once, indexes
into a private store it discards on exit, and serves navigation as usual; the shared
store is never written by it, so it equals a clean rebuild afterwards.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from rawlsp import RawServer, small_workspace
from test_rel_crash_consistency import DRIVER, snapshot, tree_hash


def index_state(n: dict) -> str | None:
    return (n["params"].get("index") or {}).get("state") if n.get("method") == "clm/status" else None


@pytest.mark.slow
def test_a_second_server_on_the_same_folder_uses_a_private_index_and_corrupts_nothing(tmp_path: Path) -> None:
    root = small_workspace(tmp_path)
    before = tree_hash(root)
    options = {"index": {"enable": True}, "summaries": {"enable": False}}
    first, second = RawServer(), RawServer()
    try:
        for server in (first, second):
            server.initialize(root, options=options)
            server.wait_for(lambda n: index_state(n) in ("ready", "failed", "unavailable"), timeout=180)
        states = [[index_state(n) for n in s.notifications if index_state(n)][-1] for s in (first, second)]
        assert states == ["ready", "ready"], states
        city = root / "rivermouth" / "rivermouth-city.blueprint.md"
        text = city.read_text(encoding="utf-8")
        line = next(i for i, s in enumerate(text.split("\n")) if "[[" in s)
        pos = {"line": line, "character": text.split("\n")[line].index("[[") + 3}
        for server in (first, second):
            server.open(city.as_uri(), text)
            for method in ("textDocument/hover", "textDocument/definition", "textDocument/references"):
                params = {"textDocument": {"uri": city.as_uri()}, "position": pos}
                if method.endswith("references"):
                    params["context"] = {"includeDeclaration": True}
                assert server.result(method, params), method
        # The second window saves an edit: its private index takes it, the shared one does not.
        server = second
        server.replace(city.as_uri(), text + "\n## From the second window\n\nText.\n", 2)
        server.notify("textDocument/didSave", {"textDocument": {"uri": city.as_uri()}, "text": text + "\n## From the second window\n\nText.\n"})
        assert server.result("textDocument/hover", {"textDocument": {"uri": city.as_uri()}, "position": pos})
    finally:
        codes = [s.close(timeout=60) for s in (first, second)]
    assert codes == [0, 0]
    shown = [[n["params"]["message"] for n in s.notifications if n.get("method") == "window/showMessage"] for s in (first, second)]
    assert not [m for m in shown[0] if "in use" in m], shown[0]
    in_use = [m for m in shown[1] if "in use by" in m]
    assert len(in_use) == 1, shown[1]  # told once
    private = re.search(r"private index in (\S+?),", in_use[0])
    assert private and not Path(private.group(1)).exists(), "the private store was not removed on exit"
    clean_store = tmp_path / "clean"
    subprocess.run([*DRIVER, str(root), str(clean_store)], check=True, capture_output=True, timeout=300)  # test embedder: fast
    clean = {k: v for k, v in snapshot(root, clean_store).items() if k != "vectors"}  # vector values: another embedder
    got = snapshot(root, root / ".clm")
    for key in clean:
        assert got[key] == clean[key], f"the shared store differs from a clean rebuild in {key}"
    assert tree_hash(root) == before, "a source file changed"
