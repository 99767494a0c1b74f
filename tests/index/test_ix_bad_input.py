"""Bad input reaching the indexer: it indexes what it can and never raises."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from ix_helpers import blueprint

REGION = "rivermouth-region.blueprint.md"


def test_a_file_flipping_between_valid_and_invalid_keeps_its_index(commons, open_indexer, embedder):
    ix = open_indexer(commons)
    full = ix.reconcile()
    path = commons / REGION
    good = path.read_text(encoding="utf-8")
    broken = good.replace("scale: region\n", "scale: [region\n", 1)  # unterminated YAML flow list
    for _ in range(3):
        path.write_text(broken, encoding="utf-8")
        stats = ix.reconcile()
        assert stats.parsed == 1 and stats.embedded == 0 and stats.deleted == 0
        assert ix.graph.entity("rivermouth-region") is not None  # the last good content stays
        assert stats.resolved_links == full.resolved_links
        path.write_text(good, encoding="utf-8")
        stats = ix.reconcile()
        assert stats.parsed == 1 and stats.embedded == 0 and stats.deleted == 0
    assert ix.graph.files()[REGION].ok
    # An edit while valid is indexed as usual.
    path.write_text(good.replace("seven years", "nine years"), encoding="utf-8")
    assert ix.reconcile().embedded == 1
    # Through apply (an editor buffer) the same holds.
    assert ix.apply([(path, broken)]).deleted == 0 and ix.graph.entity("rivermouth-region") is not None
    assert not ix.graph.files()[REGION].ok


def test_a_file_that_loses_its_id_for_good_is_removed(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    path = commons / REGION
    path.write_text(path.read_text(encoding="utf-8").replace("id: rivermouth-region\n", ""), encoding="utf-8")
    stats = ix.reconcile()
    assert ix.graph.entity("rivermouth-region") is None and stats.deleted > 0
    assert ix.vectors.rows_meta(["rivermouth-region"]) == {}


def test_symlink_loops_and_escapes_are_skipped(tmp_path, open_indexer):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.blueprint.md").write_text(blueprint("a"))
    (root / "loop").symlink_to(root, target_is_directory=True)  # a folder loop
    (root / "x.blueprint.md").symlink_to(root / "y.blueprint.md")  # a file loop
    (root / "y.blueprint.md").symlink_to(root / "x.blueprint.md")
    (root / "dangling.blueprint.md").symlink_to(root / "nowhere.blueprint.md")
    outside = tmp_path / "outside.blueprint.md"
    outside.write_text(blueprint("outside"))
    (root / "escape.blueprint.md").symlink_to(outside)
    ix = open_indexer(root)
    stats = ix.reconcile()
    assert stats.files == 1 and ix.graph.entity_ids() == {"a"}
    for name in ("loop/a.blueprint.md", "x.blueprint.md", "escape.blueprint.md", "dangling.blueprint.md"):
        assert ix.apply([(root / name, None)]).files == 1, name


def test_non_blueprint_files_and_skipped_folders_are_ignored(tmp_path, open_indexer):
    (tmp_path / "a.blueprint.md").write_text(blueprint("a"))
    (tmp_path / "README.md").write_text(blueprint("readme"))
    (tmp_path / "notes.txt").write_text("[[a]]")
    for skipped in (".git", "node_modules", ".hidden"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "b.blueprint.md").write_text(blueprint("b"))
    ix = open_indexer(tmp_path)
    assert ix.reconcile().files == 1
    assert ix.apply([(tmp_path / "README.md", None), (tmp_path / ".git" / "b.blueprint.md", None)]).parsed == 0
    assert ix.graph.entity_ids() == {"a"}


def test_exclude_globs_from_clm_toml_are_honoured(tmp_path, open_indexer):
    (tmp_path / "clm.toml").write_text('[workspace]\nexclude = ["drafts/**"]\n')
    (tmp_path / "drafts").mkdir()
    (tmp_path / "a.blueprint.md").write_text(blueprint("a"))
    (tmp_path / "drafts" / "d.blueprint.md").write_text(blueprint("d"))
    ix = open_indexer(tmp_path)
    assert ix.reconcile().files == 1
    assert ix.apply([(tmp_path / "drafts" / "d.blueprint.md", None)]).parsed == 0


def test_binary_huge_and_empty_files_do_not_break_the_index(tmp_path, open_indexer):
    (tmp_path / "a.blueprint.md").write_text(blueprint("a", body="## Notes\nSee [[b]].\n"))
    (tmp_path / "binary.blueprint.md").write_bytes(b"\xff\xfe\x00garbage\x00" * 100)
    (tmp_path / "empty.blueprint.md").write_bytes(b"")
    (tmp_path / "huge.blueprint.md").write_text(blueprint("huge") + "x" * 9_000_000)
    ix = open_indexer(tmp_path)
    stats = ix.reconcile()
    assert stats.files == 4 and ix.graph.entity_ids() == {"a"}
    assert ix.reconcile().parsed == 0


@pytest.mark.slow
def test_ten_thousand_files_in_one_folder(tmp_path, open_indexer):
    root = tmp_path / "flat"
    root.mkdir()
    for i in range(10_000):
        (root / f"e{i:05d}.blueprint.md").write_text(
            f"---\nid: e{i:05d}\nscale: team\n---\n# E{i}\n\n## Vision\nItem {i} links to [[e{(i + 1) % 10_000:05d}]].\n"
        )
    ix = open_indexer(root, emb=None)  # the graph and the walk are what is measured here
    start = time.perf_counter()
    stats = ix.reconcile()
    cold = time.perf_counter() - start
    assert stats.files == 10_000 and stats.entities == 10_000 and stats.resolved_links == 10_000
    start = time.perf_counter()
    again = ix.reconcile()
    warm = time.perf_counter() - start
    assert again.parsed == 0
    print(f"10,000 files: cold {cold:.1f}s, no-change {warm:.2f}s")
    os.utime(root / "e00042.blueprint.md", ns=(1, 1))
    assert ix.reconcile().parsed == 0
