"""initialize / initialized / settings / workspace folders / shutdown."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from ..config import load_config
from ..convert import encoding_name
from ..log import LEVELS, add_file_handler
from ..project import uri_to_path
from ..scanning import scan_all, scan_project
from ..server import ClientFlags, ClmLanguageServer
from ..session import Session

log = logging.getLogger(__name__)


def _roots(params: lsp.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    if not uris and params.root_path:
        uris = [Path(params.root_path).as_uri()]
    out = []
    for uri in uris:
        path = uri_to_path(uri)
        if path is not None and path.is_dir():
            out.append(path)
        else:
            log.warning("workspace folder %s is not a local folder; ignored", uri)
    return out


def register(server: ClmLanguageServer) -> None:
    @server.feature(lsp.INITIALIZE)
    def initialize(ls: ClmLanguageServer, params: lsp.InitializeParams) -> None:
        """loop: read the client, the settings and the folders; the scan starts at `initialized`."""
        ls.client = ClientFlags.read(params.capabilities)
        ls.encoding = _encoding(ls)
        ls.init_options = params.initialization_options
        apply_config(ls, params.initialization_options)
        ls.session = Session(_roots(params))
        pull = ls.config.diagnostics.pull
        ls.use_pull = pull == "on" or (pull == "auto" and ls.client.pull_diagnostics)
        if ls.use_pull:
            ls.extensions["register_pull"](ls)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: ClmLanguageServer, params: lsp.InitializedParams) -> None:
        """async: fetch settings, watch files, then read the folders in the background."""
        ls.client_log.ready()
        await refresh_config(ls)
        await _watch_files(ls)
        ls.extensions["status"].update(state="scanning" if ls.session.projects else "ready")
        ls.tasks.start(scan_all(ls), name="scan")
        ls.extensions["indexing"].start()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: ClmLanguageServer, params: lsp.DidChangeConfigurationParams) -> None:
        """async: settings changed: ask again (or take the pushed value) and report anew."""
        pushed = params.settings.get("clm") if isinstance(params.settings, dict) else None
        await refresh_config(ls, pushed)
        ls.extensions["checker"].republish_all()
        ls.extensions["summaries"].settings_changed()  # another model: its summaries now, not at the next edit

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: ClmLanguageServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        """loop: add and drop folders; new folders are read in the background."""
        removed = {path.resolve() for f in params.event.removed if (path := uri_to_path(f.uri)) is not None}
        keep = [p.root for p in ls.session.projects if p.root not in removed]
        added = [uri_to_path(f.uri) for f in params.event.added]
        roots = [p for p in [*keep, *added] if p is not None and p.is_dir()]
        old = {p.root: p for p in ls.session.projects}
        session = Session(roots)
        session.open_docs, session.client_uris, session.loose = ls.session.open_docs, ls.session.client_uris, ls.session.loose
        session.projects = [old.get(p.root, p) for p in session.projects]
        ls.session = session
        for doc in session.open_docs.values():
            doc.parsed = False
        for project in session.projects:
            if not project.scanned:
                ls.tasks.start(scan_project(ls, project), name=f"scan:{project.root}")

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: ClmLanguageServer, params: Any) -> None:
        """loop: stop background work (summaries and the model first, so no generation
        holds anything up); the index writer closes its stores."""
        ls.stop_background()

    @server.feature(lsp.EXIT)
    def exit_(ls: ClmLanguageServer, params: Any) -> None:
        """loop: pygls leaves its serve loop after this; commands/serve.py then stops the rest
        under its exit watchdog and exits with ``exit_code``."""
        shut_down = bool(getattr(ls.protocol, "_shutdown", False))
        if not shut_down:
            ls.stop_background()  # exit without shutdown: stop it all now
        ls.exit_code = 0 if shut_down else 1  # as LSP asks: 1 for an exit without shutdown


def _encoding(ls: ClmLanguageServer) -> str:
    try:
        return encoding_name(ls.workspace.position_encoding)
    except RuntimeError:
        return "utf-16"


def apply_config(ls: ClmLanguageServer, *layers: Any) -> None:
    config, warnings = load_config(*layers)
    ls.config = config
    for message in warnings:
        ls.show_once(f"setting ignored: {message}")
    logger = logging.getLogger("clm_lsp")
    logger.setLevel(LEVELS.get(config.log.level, logging.INFO))
    if config.log.file:
        problem = add_file_handler(logger, config.log.file)
        if problem:
            ls.show_once(problem)


async def refresh_config(ls: ClmLanguageServer, pushed: Any = None) -> None:
    """Settings = initializationOptions, overridden by the client's `clm` section."""
    layer = pushed
    if layer is None and ls.client.configuration:
        try:
            result = await ls.workspace_configuration_async(lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="clm")]))
            layer = result[0] if result else None
        except Exception as exc:  # noqa: BLE001 - a client that fails this request keeps the defaults
            log.warning("workspace/configuration failed: %s", exc)
    apply_config(ls, ls.init_options, layer)


async def _watch_files(ls: ClmLanguageServer) -> None:
    """Ask the client to report changes to blueprints and clm.toml (the index layer's watcher is the fallback)."""
    if not ls.client.watched_files_dynamic:
        return
    watchers = [lsp.FileSystemWatcher(glob_pattern="**/*.blueprint.md"), lsp.FileSystemWatcher(glob_pattern="**/clm.toml")]
    options = lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
    reg = lsp.Registration(id="clm-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
    try:
        await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[reg]))
        ls.watching = True
    except Exception as exc:  # noqa: BLE001
        log.info("client did not accept the file watcher: %s", exc)
