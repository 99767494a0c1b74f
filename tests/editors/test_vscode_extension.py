"""The VS Code extension builds into a .vsix from its lock file, and its unit tests pass."""

from __future__ import annotations

import re
import zipfile

from editors_build import VSCODE, build_vsix, ensure_node_modules, npm

# Node's own modules, which a bundle may require; everything else must be inside it.
_NODE_BUILTINS = {
    "assert", "buffer", "child_process", "crypto", "events", "fs", "http", "https", "net", "os", "path",
    "stream", "string_decoder", "tty", "url", "util", "zlib", "readline", "worker_threads", "timers",
}


def test_vsix_builds() -> None:
    vsix = build_vsix()
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        bundle = z.read("extension/dist/extension.js").decode()
        manifest = z.read("extension/package.json").decode()
    for needed in ("extension/package.json", "extension/dist/extension.js", "extension/language-configuration.json",
                   "extension/syntaxes/blueprint.injection.tmLanguage.json"):
        assert needed in names, sorted(names)
    assert not any(n.startswith("extension/node_modules/") or n.startswith("extension/src/") for n in names), sorted(names)
    required = {m.removeprefix("node:") for m in re.findall(r"""require\(["']([^"'./][^"']*)["']\)""", bundle)}
    assert "vscode" in required
    assert required - {"vscode"} <= _NODE_BUILTINS, f"not bundled: {sorted(required - {'vscode'} - _NODE_BUILTINS)}"
    assert '"main": "./dist/extension.js"' in manifest


def test_vscode_unit() -> None:
    ensure_node_modules()
    proc = npm("test", timeout=300)
    out = proc.stdout + proc.stderr
    passed = re.search(r"^# pass (\d+)$", out, re.M)
    failed = re.search(r"^# fail (\d+)$", out, re.M)
    assert passed and failed, out[-3000:]
    assert int(failed.group(1)) == 0 and int(passed.group(1)) >= 10, out[-3000:]
    assert (VSCODE / "out" / "test" / "units.test.js").is_file()
