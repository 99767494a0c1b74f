"""Settings, text sync, change impact, conversions and owned tasks, without a client."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from clm_lsp.blueprint import Problem, Range, Related, Severity, Workspace, parse
from clm_lsp.server import convert
from clm_lsp.server.config import ServerConfig, load_config
from clm_lsp.server.project import EVERYTHING, Project, affected, canonical_uri
from clm_lsp.server.session import Session, apply_change
from clm_lsp.server.tasks import TaskSet

ROOT = "file:///w"


def test_config_defaults_merge_and_warnings() -> None:
    cfg, warnings = load_config(None)
    assert cfg == ServerConfig() and warnings == []
    cfg, warnings = load_config({"diagnostics": {"debounceMs": 40}}, {"clm": {"diagnostics": {"pull": "off"}, "hover": {"summaryChars": 10}}})
    assert cfg.diagnostics.debounce_ms == 40 and cfg.diagnostics.pull == "off"
    assert cfg.hover.summary_chars == 280 and warnings == ["clm.hover.summaryChars: must be between 40 and 4000, got 10; using 280"]
    cfg, warnings = load_config({"log": {"level": "loud", "file": None}, "index": {"enable": "yes"}}, [1, 2])
    assert cfg.log.level == "info" and cfg.index.enable is True
    assert len(warnings) == 3 and "settings must be an object" in warnings[0]


@pytest.mark.parametrize(
    ("text", "rng", "new", "enc", "expected"),
    [
        ("a🚀b\nc", (0, 3, 0, 4), "X", "utf-16", "a🚀X\nc"),  # 🚀 is two UTF-16 units
        ("a🚀b\nc", (0, 5, 0, 6), "X", "utf-8", "a🚀X\nc"),  # and four UTF-8 bytes
        ("a🚀b\nc", (0, 2, 0, 3), "X", "utf-32", "a🚀X\nc"),
        ("東京\r\nx", (1, 0, 1, 1), "y", "utf-16", "東京\r\ny"),  # CRLF is one line break
        ("ab\rcd", (1, 1, 1, 1), "!", "utf-16", "ab\rc!d"),  # so is a lone CR
        ("abc", (0, 99, 5, 0), "!", "utf-16", "abc!"),  # past the end: clamped
        ("abc", (0, 2, 0, 1), "", "utf-16", "ac"),  # reversed range
    ],
)
def test_apply_change(text: str, rng: tuple[int, int, int, int], new: str, enc: str, expected: str) -> None:
    assert apply_change(text, rng, new, enc) == expected


def test_session_overlays_and_flushes(tmp_path: Path) -> None:
    (tmp_path / "a.blueprint.md").write_text("---\nid: a\nscale: team\n---\n# A\n", encoding="utf-8")
    session = Session([tmp_path])
    project = session.projects[0]
    uri = (tmp_path / "a.blueprint.md").as_uri()
    assert project.contains(uri) and not project.contains((tmp_path / "x.md").as_uri())
    assert session.project_for("file:///elsewhere/b.blueprint.md") is session.loose
    session.open(uri.replace("a.blueprint", "%61.blueprint"), "---\nid: a\nscale: team\n---\n# A\n", 1)
    session.change(uri, 2, [((4, 3, 4, 3), "lpha")], "utf-16")
    _project, ws, canonical = session.snapshot(uri)
    assert canonical == uri and ws.docs[uri].entity.title == "Alpha"
    assert session.client_uri(uri).endswith("%61.blueprint.md")  # replies use the client's spelling


def test_canonical_uri() -> None:
    assert canonical_uri("file:///tmp/a%20b/x.blueprint.md") == "file:///tmp/a%20b/x.blueprint.md"
    assert canonical_uri("file:///tmp/%61/x.md") == "file:///tmp/a/x.md"
    assert canonical_uri("untitled:Untitled-1") == "untitled:Untitled-1"


def _bp(name: str, text: str):
    return parse(text, f"{ROOT}/{name}.blueprint.md")[0]


def test_affected_by_a_change() -> None:
    hub = _bp("hub", "---\nid: hub\nscale: city\n---\n# Hub\n## Gov\n")
    spoke = _bp("spoke", "---\nid: spoke\nscale: team\nparent: hub\n---\n# S\n[[hub#gov]]\n")
    leaf = _bp("leaf", "---\nid: leaf\nscale: individual\nparent: spoke\n---\n# L\n")
    other = _bp("other", "---\nid: other\nscale: team\n---\n# O\n")
    ws = Workspace.build([hub, spoke, leaf, other], ROOT)

    def after(old, new_text):
        new = parse(new_text, old.uri)[0]
        return affected(ws, ws.with_document(new), old, new)

    assert after(hub, hub.text + "text\n") == {hub.uri}
    assert after(hub, hub.text.replace("## Gov", "## Governance")) == {hub.uri, spoke.uri}
    assert after(hub, hub.text.replace("id: hub", "id: hub2")) is EVERYTHING
    assert after(spoke, spoke.text.replace("scale: team", "scale: network")) == {spoke.uri, leaf.uri}
    assert affected(ws, ws.without(other.uri), other, None) is EVERYTHING


def test_project_recheck_bumps_result_ids() -> None:
    project = Project(None)
    doc = _bp("a", "---\nid: a\nscale: team\n---\n# A\n[[ghost]]\n")
    project.replace(doc)
    assert project.recheck(doc.uri) and "CLM001" in [p.code for p in project.problems[doc.uri]]
    first = project.result_ids[doc.uri]
    assert not project.recheck(doc.uri) and project.result_ids[doc.uri] == first


def test_convert_diagnostic_in_each_encoding() -> None:
    text = "🚀 [[x]]\n"
    problem = Problem("CLM001", Severity.ERROR, Range.of(0, 4, 0, 5), "Unknown", related=(Related("file:///other", Range.of(1, 0, 1, 2), "there"),), data={"k": [1]})
    for enc, start in (("utf-16", 5), ("utf-8", 7), ("utf-32", 4)):
        diag = convert.diagnostic("file:///a", problem, {"file:///a": text}.get, enc)
        assert diag.range.start.character == start and diag.code == "CLM001" and diag.data == {"k": [1]}
        assert diag.related_information[0].location.range.end.character == 2  # unknown text: passed through
    odd = Problem("CLM001", Severity.ERROR, Range.of(0, 0), "x", data={"k": object()})
    assert convert.diagnostic("file:///a", odd, {"file:///a": text}.get, "utf-16").data is None


def test_convert_workspace_edit_shapes() -> None:
    from clm_lsp.server.ide.types import EditPlan, TextEdit

    plan = EditPlan((TextEdit("file:///new", Range.of(0, 0), "hello"), TextEdit("file:///a", Range.of(0, 0, 0, 1), "x")), creates=("file:///new",))
    edit = convert.workspace_edit(plan, {"file:///a": "🚀"}.get, "utf-16", True, lambda _u: 7)
    create, first, second = edit.document_changes
    assert isinstance(create, lsp.CreateFile) and create.uri == "file:///new"
    assert first.text_document.version is None and second.text_document.version == 7
    assert second.edits[0].range.end.character == 2
    flat = convert.workspace_edit(EditPlan((TextEdit("file:///a", Range.of(0, 0), "x"),)), {}.get, "utf-16", False, lambda _u: None)
    assert list(flat.changes) == ["file:///a"]


async def test_tasks_are_owned_debounced_and_failures_logged(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskSet()
    ran: list[int] = []

    async def work(n: int) -> None:
        ran.append(n)

    for n in range(5):
        tasks.debounce("k", 0.01, lambda n=n: work(n))
    await asyncio.sleep(0.05)
    assert ran == [4]  # only the last of a burst runs

    async def boom() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="clm_lsp.server.tasks"):
        tasks.start(boom(), name="boom")
        await asyncio.sleep(0.01)
    assert tasks.failures == 1 and "boom" in caplog.text and len(tasks) == 0
