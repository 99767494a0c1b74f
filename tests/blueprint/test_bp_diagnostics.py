"""Data-driven: input -> the diagnostic codes and ranges the parser reports."""

from __future__ import annotations

import pytest

from clm_lsp.blueprint import Problem, Severity, parse
from clm_lsp.blueprint.codes import CODES

GOOD_FM = "---\nid: a\nscale: team\n---\n"


def found(text: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    _, problems = parse(text, "file:///w/a.blueprint.md")
    return [(p.code, (p.range.start.line, p.range.start.character, p.range.end.line, p.range.end.character)) for p in problems]


CASES = [
    pytest.param(GOOD_FM + "# T\n", [], id="clean"),
    pytest.param("# T\n", [("CLM006", (0, 0, 0, 3))], id="no-front-matter"),
    pytest.param("---\nid: a\n# T\n", [("CLM006", (0, 0, 0, 3))], id="unterminated"),
    pytest.param("---\nid: [a\n---\n# T\n", [("CLM005", (1, 0, 1, 6))], id="yaml-error-at-its-line"),
    pytest.param("---\nscale: team\n---\n# T\n", [("CLM007", (0, 0, 2, 3))], id="missing-id"),
    pytest.param("---\nid: a\n---\n# T\n", [("CLM008", (0, 0, 2, 3))], id="missing-scale"),
    pytest.param("---\nid: Bad_Id\nscale: team\n---\n# T\n", [("CLM009", (1, 4, 1, 10))], id="bad-id"),
    pytest.param("---\nid: a\nscale: town\n---\n# T\n", [("CLM010", (2, 7, 2, 11))], id="unknown-scale"),
    pytest.param("---\nid: a\nscale: team\nstatus: done\n---\n# T\n", [("CLM021", (3, 8, 3, 12))], id="bad-status"),
    pytest.param("---\nid: a\nscale: team\ntags: 5\n---\n# T\n", [("CLM021", (3, 6, 3, 7))], id="tags-not-a-list"),
    pytest.param("---\nid: a\nscale: team\ncolour: red\n---\n# T\n", [("CLM021", (3, 0, 3, 6))], id="unknown-key"),
    pytest.param("---\nid: a\nscale: team\ntitle: [x]\n---\n# T\n", [("CLM021", (3, 7, 3, 10))], id="title-not-text"),
    pytest.param(GOOD_FM + "text\n", [("CLM023", (4, 0, 4, 0))], id="no-title"),
    pytest.param(GOOD_FM + "# T\n## \n", [("CLM022", (5, 0, 5, 3))], id="empty-heading"),
    pytest.param(GOOD_FM + "# T\n## A {#x}\n## B {#x}\n", [("CLM004", (6, 7, 6, 8))], id="duplicate-explicit-anchor"),
    pytest.param(GOOD_FM + "# T\n## Timeslice 2024-13\n", [("CLM016", (5, 13, 5, 20))], id="bad-date"),
    pytest.param(GOOD_FM + "# T\n## Timeslice\n", [("CLM016", (5, 3, 5, 12))], id="timeslice-without-date"),
    pytest.param(GOOD_FM + "# T\n[[]] [[a b]] [[x#]]\n", [("CLM024", (5, 0, 5, 4)), ("CLM024", (5, 5, 5, 12)), ("CLM024", (5, 13, 5, 19))], id="malformed-links"),
    pytest.param(GOOD_FM + "# T\n[[a\x07b]]\n", [("CLM024", (5, 0, 5, 7))], id="control-character-in-link"),
    pytest.param("---\nx: *nope\n---\n# T\n", [("CLM005", (1, 3, 1, 8))], id="undefined-alias"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_diagnostics(text: str, expected: list[tuple[str, tuple[int, int, int, int]]]) -> None:
    assert found(text) == expected


def test_every_problem_has_a_readable_message_and_the_code_severity() -> None:
    texts = [c.values[0] for c in CASES]
    for text in texts:
        _, problems = parse(text, "u")
        for p in problems:
            assert isinstance(p, Problem)
            assert p.code in CODES
            assert p.severity == CODES[p.code][0]
            assert len(p.message) > 20 and p.message[0].isupper()


def test_severities_follow_the_table() -> None:
    _, problems = parse(GOOD_FM + "# T\n## \n", "u")
    assert [p.severity for p in problems] == [Severity.WARNING]


def test_scale_suggestion() -> None:
    _, problems = parse("---\nid: a\nscale: teem\n---\n# T\n", "u")
    (p,) = problems
    assert "did you mean 'team'" in p.message
    assert p.data == {"suggestions": ["team"]}
