"""Data sovereignty: with the default configuration nothing tries to reach the network.

The demo and a server session (open, hover, definition, the index built with the
default embedder, summaries by the bundled model) run in subprocesses whose
sitecustomize.py (tests/security/netguard/) records and refuses every connect,
sendto or name lookup that is not loopback. The log must stay empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from rawlsp import COMMONS, REPO, RawServer, small_workspace  # noqa: E402

GUARD = Path(__file__).parent / "netguard"


def guarded_env(log: Path) -> dict[str, str]:
    path = os.pathsep.join([str(GUARD), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {"PYTHONPATH": path, "CLM_NET_GUARD_LOG": str(log), "HF_HUB_OFFLINE": "", "NO_PROXY": ""}


def test_the_guard_itself_refuses_and_records(tmp_path: Path) -> None:
    log = tmp_path / "net.log"
    code = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError as e:\n    print(e)\n"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **guarded_env(log)}, capture_output=True, text=True, timeout=60)
    assert "forbidden by the test guard" in out.stdout
    assert "192.0.2.1" in log.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_demo_opens_no_network_connection(tmp_path: Path) -> None:
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there")
    log = tmp_path / "net.log"
    out = subprocess.run([sys.executable, "-m", "clm_lsp", "demo", str(COMMONS)], env={**os.environ, **guarded_env(log)},
                         capture_output=True, text=True, timeout=240, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert not log.exists(), log.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_default_server_session_opens_no_network_connection(tmp_path: Path) -> None:
    root = small_workspace(tmp_path)
    log = tmp_path / "net.log"
    server = RawServer(env=guarded_env(log))
    try:
        server.initialize(root, options={})  # {}: every setting at its default (index and summaries on)
        server.wait_for(lambda n: n.get("method") == "clm/status" and (n["params"].get("index") or {}).get("state") in ("ready", "failed", "unavailable"), timeout=240)
        index_state = [n["params"]["index"]["state"] for n in server.notifications if n.get("method") == "clm/status" and "index" in n["params"]][-1]
        city = root / "rivermouth" / "rivermouth-city.blueprint.md"
        text = city.read_text(encoding="utf-8")
        server.open(city.as_uri(), text)
        line = next(i for i, s in enumerate(text.split("\n")) if "[[" in s)
        pos = {"line": line, "character": text.split("\n")[line].index("[[") + 3}
        for method in ("textDocument/hover", "textDocument/definition", "textDocument/completion"):
            assert "error" not in server.request(method, {"textDocument": {"uri": city.as_uri()}, "position": pos}, timeout=60)
        generating = any(n.get("method") == "clm/status" and ((n["params"].get("model") or {}).get("summaries") or {}).get("state") == "running"
                         for n in server.notifications)
    finally:
        t0 = time.monotonic()
        assert server.close(timeout=60) == 0
        closed_s = time.monotonic() - t0
    print(f"\nshutdown + exit took {closed_s:.1f} s (summaries were {'running' if generating else 'not running'})")
    assert closed_s < 12, f"shutdown + exit took {closed_s:.1f} s"  # shutdown waits <= 5 s for the index, exit <= 3 s
    assert index_state == "ready", index_state
    assert not log.exists(), log.read_text(encoding="utf-8")
