"""The zoom map and zoom-in over a rendered view: every label resolves to the right
range, a line of a section shown in full maps to the same line of its source, an
entity summary goes one level down, and the view header round-trips for zoomIn."""

from __future__ import annotations

import pytest
from assemble_support import COMMONS, bundled_counter, no_summaries

from clm_lsp.context.assemble import assemble
from clm_lsp.context.assemble_lexical import lexical_retriever
from clm_lsp.context.zoom import ViewSpec, jumps, read_header, view_text, with_expanded
from clm_lsp.workspace_io import load_workspace

FOCUS = "harbourside-district#gov"


@pytest.fixture(scope="module")
def ws():
    return load_workspace(COMMONS)[0]


@pytest.fixture(scope="module")
def view(ws):
    spec = ViewSpec("§" + FOCUS, 1500, "who decides")
    ctx = assemble(ws, FOCUS, spec.task, spec.budget, count=bundled_counter(), summary_for=no_summaries,
                   retrieve=lexical_retriever(ws))
    return ctx, view_text(spec, ctx.text, ctx.tokens)


def test_every_zoom_entry_resolves_to_the_right_range(ws, view):
    ctx, _text = view
    assert ctx.zoom and set(ctx.zoom) == {p.label for p in ctx.parts}
    for label, entry in ctx.zoom.items():
        bp = ws.docs[entry.uri]
        entity, _, anchor = label[1:].partition("#")
        assert bp.entity.id == entity and entry.section_id == label[1:]
        if anchor:
            assert entry.range == ws.section(entry.uri, anchor).range
            assert entry.level == 0
        else:
            assert entry.range.start.line == 0 and entry.range.end.line >= bp.line_count - 1
            assert entry.mode == "summary" and entry.level >= 1


def test_label_lines_jump_to_their_sections(ws, view):
    ctx, text = view
    lines = text.split("\n")
    seen = 0
    for i, line in enumerate(lines):
        for label, entry in ctx.zoom.items():
            if line.startswith(f"[{label}] ") and "#" in label:
                assert [(j.uri, j.range) for j in jumps(ws, text, i)] == [(entry.uri, entry.range)]
                seen += 1
    assert seen >= 5


def test_lines_of_full_sections_map_to_the_same_source_line(ws, view):
    ctx, text = view
    lines = text.split("\n")
    checked = 0
    for i, line in enumerate(lines):
        if not line.strip() or line.startswith("[§"):
            continue
        found = jumps(ws, text, i)
        if not found:
            continue
        (jump,) = found
        src = ws.docs[jump.uri].text.split("\n")[jump.range.start.line]
        assert src.rstrip() == line.rstrip()
        checked += 1
    assert checked >= 10


def test_entity_summary_zooms_one_level_down(ws, view):
    ctx, text = view
    lines = text.split("\n")
    entity_parts = [p for p in ctx.parts if "#" not in p.label]
    assert entity_parts
    for part in entity_parts:
        i = next(n for n, line in enumerate(lines) if line.startswith(f"[{part.label}] "))
        found = jumps(ws, text, i)
        bp = ws.entity(part.label[1:])
        if part.level <= 1:  # the sections it was made from
            assert {j.range for j in found} == {s.range for s in bp.sections if s.parent is None}
        else:  # the entity and its children
            assert {j.uri for j in found} == {bp.uri, *(c.uri for c in ws.children(part.label[1:]))}


def test_header_round_trips_and_nothing_above_the_parts_jumps(ws, view):
    _ctx, text = view
    spec = read_header(text)
    assert spec == ViewSpec("§" + FOCUS, 1500, "who decides")
    assert with_expanded(spec, "[§harbourside-district#risks]").expand == ("§harbourside-district#risks",)
    assert all(jumps(ws, text, i) == [] for i in range(4))
    assert read_header("# not a view\n") is None
