// The language client registers a VS Code command for every command the server
// advertises; the extension already owns some of those names (palette entries with their
// own argument handling), and VS Code throws on a second registration. Pure.
import { CLIENT_OWNED_COMMANDS } from './constants';

export function serverCommandsToRegister(advertised: readonly string[] | undefined, owned: ReadonlySet<string> = CLIENT_OWNED_COMMANDS): string[] {
  return (advertised ?? []).filter((name) => !owned.has(name));
}
