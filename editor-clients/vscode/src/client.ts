// The language client's lifecycle: start, stop, restart, and every failure reported to
// the output channel and a message, never thrown into VS Code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification, ExecuteCommandRequest, LanguageClient, LanguageClientOptions,
  ServerOptions, State, TransportKind,
} from 'vscode-languageclient/node';
import { serverCommandsToRegister } from './commandFilter';
import { CLIENT_ID, CLIENT_NAME, CONFIG_SECTION, FILE_GLOB, LANGUAGE_ID, STATUS_NOTIFICATION, VIEW_GLOB } from './constants';
import { resolveServerCommand, ServerCommand, whichOnPath } from './interpreter';
import { activeInterpreter } from './pythonExtension';
import { serverSettings } from './settings';
import { StatusPayload } from './status';

type AnyFeature = Parameters<LanguageClient['registerFeature']>[0];

/** A LanguageClient that leaves the extension's own palette commands alone. */
class ClmLanguageClient extends LanguageClient {
  public override registerFeature(feature: AnyFeature): void {
    const dynamic = feature as unknown as { registrationType?: { method?: string }; register?: (data: any) => void };
    if (dynamic.registrationType?.method === ExecuteCommandRequest.method && dynamic.register) {
      const register = dynamic.register.bind(feature);
      dynamic.register = (data: any) => register({
        ...data,
        registerOptions: { ...data.registerOptions, commands: serverCommandsToRegister(data.registerOptions?.commands) },
      });
    }
    super.registerFeature(feature);
  }
}

export class ClmClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly statusEmitter = new vscode.EventEmitter<StatusPayload | undefined>();
  /** The last clm/status payload (undefined while no server runs). */
  public lastStatus: StatusPayload | undefined;
  public readonly onStatus = this.statusEmitter.event;

  constructor(private readonly output: vscode.LogOutputChannel) {}

  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /** Commands the running server advertises (workspace/executeCommand). */
  get serverCommands(): string[] {
    return this.running?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  }

  async start(): Promise<void> {
    if (this.client) {
      return;
    }
    try {
      const server = await this.findServer();
      if ('error' in server) {
        this.report(server.error);
        return;
      }
      this.output.appendLine(`Starting ${server.command} ${server.args.join(' ')} (from ${server.source})`);
      const run = { command: server.command, args: server.args, transport: TransportKind.stdio };
      const serverOptions: ServerOptions = { run, debug: run };
      this.client = new ClmLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, this.clientOptions());
      this.client.onNotification(STATUS_NOTIFICATION, (payload: StatusPayload) => this.setStatus(payload));
      await this.client.start();
    } catch (error) {
      this.report(`The clm server could not start: ${describe(error)}`);
      await this.stop();
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.setStatus(undefined);
    if (!client) {
      return;
    }
    try {
      await client.stop(5000);
    } catch (error) {
      this.output.appendLine(`Stopping the server: ${describe(error)}`);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Settings changed: the server asks for them again (workspace/configuration). */
  async settingsChanged(): Promise<void> {
    const client = this.running;
    if (client) {
      await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { clm: this.settings() } })
        .catch((error) => this.output.appendLine(`didChangeConfiguration: ${describe(error)}`));
    }
  }

  /** workspace/executeCommand; errors go to the output channel and a message, result undefined. */
  async execute(command: string, args: unknown[] = []): Promise<unknown> {
    const client = this.running;
    if (!client) {
      this.report('The clm server is not running (clm: Restart Server starts it).');
      return undefined;
    }
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (error) {
      this.report(`${command} failed: ${describe(error)}`);
      return undefined;
    }
  }

  report(message: string): void {
    this.output.appendLine(message);
    void vscode.window.showErrorMessage(message, 'Show Output').then((pick) => pick && this.output.show(true));
  }

  dispose(): void {
    void this.stop();
    this.statusEmitter.dispose();
  }

  private setStatus(payload: StatusPayload | undefined): void {
    this.lastStatus = payload;
    this.statusEmitter.fire(payload);
  }

  private settings(): Record<string, unknown> {
    const all = vscode.workspace.getConfiguration(CONFIG_SECTION);
    return serverSettings(JSON.parse(JSON.stringify(all)) as Record<string, unknown>);
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [
        { scheme: 'file', language: LANGUAGE_ID },
        { scheme: 'file', language: 'markdown', pattern: FILE_GLOB },
        { scheme: 'untitled', language: LANGUAGE_ID },
        // Context views written by clm.showContext: the server answers definition and zoom there.
        { scheme: 'file', pattern: VIEW_GLOB },
      ],
      initializationOptions: this.settings(),
      outputChannel: this.output,
      traceOutputChannel: this.output,
      middleware: {
        workspace: {
          // Only the keys the server reads: it reports unknown ones (server.*, trace.*) to the user.
          configuration: async (params, token, next) => {
            const base = await next(params, token);
            if (!Array.isArray(base)) {
              return base;
            }
            return params.items.map((item, i) => (item.section === CONFIG_SECTION ? this.settings() : base[i]));
          },
        },
      },
    };
  }

  private async findServer(): Promise<ServerCommand | { error: string }> {
    const config = vscode.workspace.getConfiguration(CONFIG_SECTION);
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const serverCommand = config.get<string[]>('server.command') ?? [];
    const python = config.get<string>('server.python') ?? '';
    const explicit = serverCommand.length > 0 || python.trim() !== '';
    const isWin = process.platform === 'win32';
    const exists = (p: string) => { try { return fs.statSync(p).isFile(); } catch { return false; } };
    return resolveServerCommand({
      serverCommand,
      python,
      activeInterpreter: explicit ? undefined : await activeInterpreter(resource),
      onPath: whichOnPath('clm-lsp', process.env.PATH, path.delimiter, exists, isWin ? ['.exe', '.cmd', ''] : ['']),
    });
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
