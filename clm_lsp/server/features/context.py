"""`clm.showContext` and `clm.zoomIn`: thin handlers over server/contextview.py.

clm.showContext arguments: ``[uri, anchor, budget?, task?]`` (the section a cursor is in)
or ``[{"focus": "entity#anchor", "uri"?: ..., "budget"?: N, "task"?: "...", "expand"?: [...]}]``.
clm.zoomIn arguments: ``[view uri, label]``. Both reply
``{"uri", "shown", "focus", "tokens", "budget", "truncated", "zoom", "parts"}`` or
``{"error": message}`` for arguments that cannot be used.
"""

from __future__ import annotations

from typing import Any

from clm_lsp.context.zoom import ViewSpec

from ..contextview import DEFAULT_BUDGET, ViewError
from ..server import ClmLanguageServer


def register(server: ClmLanguageServer) -> None:
    @server.command("clm.showContext")
    async def show_context(ls: ClmLanguageServer, *args: Any) -> dict[str, Any]:
        """async: assemble (in a thread), write the view, ask the client to show it."""
        try:
            spec, uri = _spec(ls, list(args))
            return await ls.extensions["contexts"].show(spec, uri)
        except ViewError as exc:
            return {"error": str(exc)}

    @server.command("clm.zoomIn")
    async def zoom_in(ls: ClmLanguageServer, *args: Any) -> dict[str, Any]:
        """async: the same view again with one more part in full."""
        if len(args) < 2 or not all(isinstance(a, str) for a in args[:2]):
            return {"error": "clm.zoomIn takes [view uri, label]"}
        try:
            return await ls.extensions["contexts"].zoom_in(args[0], args[1])
        except ViewError as exc:
            return {"error": str(exc)}


def _spec(ls: ClmLanguageServer, args: list[Any]) -> tuple[ViewSpec, str | None]:
    if len(args) == 1 and isinstance(args[0], dict):
        a = args[0]
        focus, uri = a.get("focus"), a.get("uri")
        if not isinstance(focus, str) and isinstance(uri, str) and isinstance(a.get("anchor"), str):
            focus = _focus_of(ls, uri, a["anchor"])
        if not isinstance(focus, str):
            raise ViewError("clm.showContext needs a focus (\"entity#anchor\") or a uri and an anchor")
        return ViewSpec(_label(focus), _budget(a.get("budget")), str(a.get("task") or ""),
                        tuple(_label(x) for x in a.get("expand") or () if isinstance(x, str))), uri
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        task = args[3] if len(args) > 3 and isinstance(args[3], str) else ""
        return ViewSpec(_label(_focus_of(ls, args[0], args[1])), _budget(args[2] if len(args) > 2 else None), task), args[0]
    raise ViewError("clm.showContext takes [uri, anchor, budget?, task?] or [{focus, budget?, task?, expand?}]")


def _focus_of(ls: ClmLanguageServer, uri: str, anchor: str) -> str:
    _project, ws, canonical = ls.session.snapshot(uri)
    bp = ws.docs.get(canonical)
    if bp is None or not bp.entity.id:
        raise ViewError(f"{uri} is not a blueprint with an id")
    return f"{bp.entity.id}#{anchor}"


def _budget(value: Any) -> int:
    if value is None:
        return DEFAULT_BUDGET
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ViewError(f"budget must be a whole number of tokens, not {value!r}")
    return value


def _label(text: str) -> str:
    return "§" + text.strip().strip("[]").lstrip("§")
