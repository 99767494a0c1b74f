"""A real VS Code (code-server 4.100.3, VS Code 1.100.3, in headless Chromium) with the
packaged .vsix installed: hover a [[link]] in a copy of fixtures/commons and check the
text came from our server, then run "clm: Show Status" from the palette.

Setup (code-server, playwright-core, Chromium) is scripts/setup-vscode-e2e.sh, cached in
editor-clients/vscode/.e2e/; the first run takes a few minutes, later runs ~40 s.
Screenshots land in tests/editors/artifacts/ (and docs/img/vscode-hover.png when it is
missing or CLM_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from editors_build import ARTIFACTS, COMMONS, REPO, VSCODE, build_vsix, free_port

E2E = VSCODE / ".e2e"
SETUP = REPO / "scripts" / "setup-vscode-e2e.sh"
DRIVER = Path(__file__).parent / "code_server_drive.cjs"
LINKING_FILE = "rivermouth-repair-network.blueprint.md"
HOVER_TEXT = "laid out as a loop"  # from the target section's first line
LINK = "session-layout]]"  # found with Ctrl+F; the cursor then goes into the anchor


def _setup() -> Path:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip(f"the code-server recipe is for Linux x86_64 (this is {platform.system()} {platform.machine()})")
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    if shutil.which("chromium") is None and shutil.which("apt-get") is None:
        pytest.skip("no chromium and no apt-get to install it")
    proc = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=1200, check=False)
    assert proc.returncode == 0, f"{SETUP.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return E2E / "node_modules" / ".bin" / "code-server"


def _settings(user_data: Path) -> None:
    user = user_data / "User"
    user.mkdir(parents=True)
    settings = {
        "security.workspace.trust.enabled": False,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "extensions.autoCheckUpdates": False,
        "telemetry.telemetryLevel": "off",
        "editor.hover.delay": 100,
        "clm.server.python": sys.executable,
        # The index and model summaries are other tests' business; hover needs neither.
        "clm.index.enable": False,
        "clm.summaries.enable": False,
    }
    (user / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"code-server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"code-server did not answer {url} in {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """code-server runs a few child processes (extension host, our server): end its group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_code_server_e2e(tmp_path: Path) -> None:
    code_server = _setup()
    vsix = build_vsix()
    root = tmp_path / "commons"
    shutil.copytree(COMMONS, root)
    user_data, extensions = tmp_path / "user-data", tmp_path / "extensions"
    _settings(user_data)
    dirs = ["--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    install = subprocess.run([str(code_server), *dirs, "--install-extension", str(vsix)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert install.returncode == 0 and "clm-lsp" in install.stdout + install.stderr, install.stdout + install.stderr

    port = free_port()
    log = (tmp_path / "code-server.log").open("wb")
    proc = subprocess.Popen(
        [str(code_server), *dirs, "--bind-addr", f"127.0.0.1:{port}", "--auth", "none", "--disable-telemetry",
         "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override", str(root)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    out = ARTIFACTS / "vscode"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        env = {**os.environ, "PLAYWRIGHT_CORE": str(E2E / "node_modules" / "playwright-core"), "CHROMIUM": shutil.which("chromium") or "/usr/bin/chromium",
               "CLM_EXPECT_HOVER": HOVER_TEXT}
        drive = subprocess.run(["node", str(DRIVER), f"http://127.0.0.1:{port}/?folder={root}", LINKING_FILE, LINK, str(out)],
                               env=env, capture_output=True, text=True, timeout=240, check=False)
    finally:
        _stop(proc)
        log.close()
        shutil.copy(tmp_path / "code-server.log", out / "code-server.log")
    result_file = out / "result.json"
    assert result_file.is_file(), f"the driver wrote nothing ({drive.returncode}): {drive.stderr[-3000:]}"
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert "error" not in result, f"{result['error']}\nsteps: {result['steps']}\nscreenshot: {out / 'vscode-failure.png'}"

    # The hover is the server's: the target's title › section title, then the section text.
    assert "Old Mill Repair Café › Session layout" in result["hover"], result["hover"]
    assert HOVER_TEXT in result["hover"], result["hover"]
    assert result["hoverVisibleInScreenshot"], f"the hover closed before the screenshot: {out / 'vscode-hover.png'}"
    assert "clm: ready" in result["statusBar"], result["statusBar"]
    documents = sum(1 for _ in root.rglob("*.blueprint.md"))
    assert f"{documents} documents" in result["notification"], result["notification"]
    # clm: Show Compressed Context sent the anchor of the section the cursor is in.
    assert "rivermouth-repair-network--exchange-with-kamikatsu.context.md" in result["contextTab"], result["contextTab"]
    assert "Context for [§rivermouth-repair-network#exchange-with-kamikatsu]" in result["contextHead"], result["contextHead"]
    _publish_screenshot(out / "vscode-hover.png")


def _publish_screenshot(shot: Path) -> None:
    """docs/img/vscode-hover.png is committed for the README: refresh it only on request."""
    target = REPO / "docs" / "img" / "vscode-hover.png"
    if shot.is_file() and (not target.exists() or os.environ.get("CLM_UPDATE_SCREENSHOTS") == "1"):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target)
