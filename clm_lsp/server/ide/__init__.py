"""Editor features as pure functions over the blueprint core.

What is under the cursor, definitions, references, rename edits, completion
candidates, hover text, symbols, folding, code lenses and quick-fix edits.
Everything here takes a :class:`~clm_lsp.blueprint.Workspace` snapshot (or one
Blueprint) and core positions (code points) and returns plain values. No
pygls, no lsprotocol and no I/O (tests/server/test_ide_imports.py holds that):
the server's ``convert`` module turns these values into LSP types.
"""

from __future__ import annotations
