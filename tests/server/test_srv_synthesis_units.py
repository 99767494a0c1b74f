"""The pure request logic behind "Synthesize missing sections" (server/ide/missing_sections.py)."""

from __future__ import annotations

from clm_lsp.blueprint import parse
from clm_lsp.context.synthesis import apply
from clm_lsp.server.ide.missing_sections import missing_sections, missing_sections_edit, on_front_matter_or_title

HEAD = "---\nid: coop\ntitle: Coop\nscale: organization\n---\n# Coop\n\n"


def bp_of(text: str):
    return parse(text, "file:///w/coop.blueprint.md")[0]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n")


def test_missing_sections_from_the_scale_template() -> None:
    text = HEAD + "## Vision\nv\n\n## governance\nx\n\n## Timeslice 2024\nFounded.\n"
    bp = bp_of(text)
    missing = missing_sections(bp, {})
    assert missing == ["Resources", "Finance", "Risks"]  # organization template; case ignored
    edit = missing_sections_edit(bp, missing)
    assert edit is not None
    out = apply(text, edit.range, edit.new_text)
    new = bp_of(out)
    titles = [s.title for s in new.sections]
    assert titles == ["Vision", "governance", "Resources", "Finance", "Risks", "Timeslice 2024"]
    assert all(new.section_by_anchor(t.lower()).placeholder for t in missing)
    assert on_front_matter_or_title(bp, 1) and on_front_matter_or_title(bp, line_of(text, "# Coop"))
    assert not on_front_matter_or_title(bp, line_of(text, "## Vision"))


def test_missing_sections_custom_template_and_none_missing() -> None:
    custom = {"organization": "---\nid: {id}\nscale: {scale}\n---\n# {title}\n\n## Vision\n\n## Charter\n"}
    text = HEAD + "## Vision\nv"
    bp = bp_of(text)
    assert missing_sections(bp, custom) == ["Charter"]
    edit = missing_sections_edit(bp, ["Charter"])
    assert edit is not None and apply(text, edit.range, edit.new_text).endswith("v\n\n## Charter\n<!-- synthesize -->\n")
    assert missing_sections(bp_of(text + "\n## Charter\nok\n"), custom) == []
