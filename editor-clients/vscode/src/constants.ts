// Names shared with the server (clm_lsp/server): keep them in one place so a rename on
// one side is one edit here. Nothing in this module may import 'vscode' (unit tests run
// it under plain node).

export const LANGUAGE_ID = 'blueprint';
export const FILE_GLOB = '**/*.blueprint.md';
/** Context views written by clm.showContext (server/contextview.py). */
export const VIEW_GLOB = '**/.clm/views/*.context.md';
export const CLIENT_ID = 'clm';
export const CLIENT_NAME = 'clm';
export const CONFIG_SECTION = 'clm';

/** Server -> client notification carrying the status-bar payload (server/status.py). */
export const STATUS_NOTIFICATION = 'clm/status';

/** Palette commands. The ones the server also implements are sent to it as
 *  workspace/executeCommand under the same name. */
export const Commands = {
  showContext: 'clm.showContext',
  zoomIn: 'clm.zoomIn',
  synthesizeSection: 'clm.synthesizeSection',
  reindex: 'clm.reindex',
  restart: 'clm.restart',
  showStatus: 'clm.showStatus',
} as const;

/** Server-side command that returns the same payload as the clm/status notification. */
export const SERVER_STATUS_COMMAND = 'clm.status';

/** Commands this extension registers itself; the language client must not register them
 *  again when the server advertises them (VS Code refuses a second registration). */
export const CLIENT_OWNED_COMMANDS: ReadonlySet<string> = new Set(Object.values(Commands));

/** Commands forwarded to the server with arguments taken from the cursor (cursorContext.ts). */
export const POSITIONAL_SERVER_COMMANDS: readonly string[] = [
  Commands.showContext,
  Commands.zoomIn,
  Commands.synthesizeSection,
];

/** Top-level keys of the `clm` settings that the server reads (server/config.py). The
 *  server shows a message for every unknown key, so the client forwards only these.
 *  `context` (clm.context.budget) is contributed as a setting already; add it here in the
 *  same change that makes the server read it. */
export const SERVER_SETTING_KEYS: readonly string[] = [
  'diagnostics', 'completion', 'hover', 'symbols', 'index', 'model', 'summaries', 'synthesis', 'review', 'log',
];

/** Keys only the client reads (how to start the server, tracing). */
export const CLIENT_SETTING_KEYS: readonly string[] = ['server', 'trace'];
