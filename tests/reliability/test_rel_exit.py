"""Shutdown and exit while the bundled model works, and the protocol stream kept away from fd 1.

Found here (issue 10): llama-cpp-python points fd 1 at /dev/null while it loads a
model, so whatever the server wrote meanwhile (a `shutdown` reply, hovers,
diagnostics) vanished, and an editor waited for a reply that never came. The
server now writes the protocol to a private duplicate of stdout and points fd 1
at stderr (commands/serve.py).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from rawlsp import FAST_OPTIONS, RawServer, small_workspace


def summaries_state(n: dict) -> str | None:
    if n.get("method") != "clm/status":
        return None
    return ((n["params"].get("model") or {}).get("summaries") or {}).get("state")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_protocol_stream_is_not_fd_1(raw: RawServer, commons: Path) -> None:
    """A native library that writes to (or redirects) fd 1 cannot touch the protocol stream."""
    raw.initialize(commons)
    fd = Path(f"/proc/{raw.proc.pid}/fd")
    stdout_pipe = f"pipe:[{os.fstat(raw.proc.stdout.fileno()).st_ino}]"  # type: ignore[union-attr]
    assert os.readlink(fd / "1") == os.readlink(fd / "2"), "fd 1 should be a copy of stderr"
    assert os.readlink(fd / "1") != stdout_pipe
    assert stdout_pipe in {os.readlink(p) for p in fd.iterdir() if p.name not in ("0", "1", "2")}


@pytest.mark.slow
def test_exit_is_prompt_while_the_model_loads_and_generates(tmp_path: Path) -> None:
    """Default settings (index, MiniLM, summaries by the bundled SmolLM2): shutdown is
    answered and the process is gone within seconds, whatever the model is doing."""
    root = small_workspace(tmp_path)
    figures = []
    for wait_for in ("loading", "running"):  # shut down while the model loads, then while it generates
        server = RawServer()
        try:
            server.initialize(root, options={"summaries": {"enable": True}})
            if wait_for == "loading":
                server.wait_for(lambda n: n.get("method") == "clm/status" and (n["params"].get("model") or {}).get("state") == "loading", timeout=120)
            else:
                server.wait_for(lambda n: summaries_state(n) == "running", timeout=180)
                time.sleep(0.5)  # into a generation
            t0 = time.monotonic()
            reply = server.request("shutdown", None, timeout=15)
            shutdown_s = time.monotonic() - t0
            assert "error" not in reply, reply
            server.notify("exit")
            t1 = time.monotonic()
            code = server.proc.wait(10)
            exit_s = time.monotonic() - t1
        finally:
            if server.alive():
                server.proc.kill()
                server.proc.wait()
        figures.append(f"{wait_for}: shutdown answered in {shutdown_s:.2f} s, exit in {exit_s:.2f} s")
        assert code == 0
        assert shutdown_s < 6 and exit_s < 5, figures[-1]
    print("\n" + "; ".join(figures))


# `clm-lsp serve` with exit_watchdog wrapped to say on stderr each time it is armed.
COUNTED_SERVE = """
import sys
import clm_lsp.server.server as s
arm = s.ClmLanguageServer.exit_watchdog
def counted(self, code, *args, **kwargs):
    print(f"exit watchdog armed: {code}", file=sys.stderr, flush=True)
    arm(self, code, *args, **kwargs)
s.ClmLanguageServer.exit_watchdog = counted
from clm_lsp.cli import main
sys.exit(main(["serve"]))
"""


@pytest.mark.parametrize("shutdown_first, code", [(True, 0), (False, 1)])
def test_one_exit_watchdog_with_the_exit_code(commons: Path, shutdown_first: bool, code: int) -> None:
    """One watchdog (commands/serve.py) guards every way out; it ends a stuck process with
    the code LSP asks for: 0 after shutdown, 1 for an exit without one."""
    server = RawServer(command=[sys.executable, "-c", COUNTED_SERVE])
    try:
        server.initialize(commons, options=FAST_OPTIONS)
        if shutdown_first:
            assert "error" not in server.request("shutdown", None, timeout=15)
        server.notify("exit")
        assert server.proc.wait(10) == code
        time.sleep(0.3)  # the rest of stderr, read by RawServer's thread
    finally:
        if server.alive():
            server.proc.kill()
            server.proc.wait()
    armed = [line.strip() for line in server.stderr_lines if line.startswith("exit watchdog armed")]
    assert armed == [f"exit watchdog armed: {code}"], armed
