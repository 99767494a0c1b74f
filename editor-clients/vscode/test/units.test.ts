// Unit tests of the extension's parts that need no VS Code: `npm test` (node --test).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { serverCommandsToRegister } from '../src/commandFilter';
import { Commands, CLIENT_OWNED_COMMANDS, SERVER_SETTING_KEYS } from '../src/constants';
import { resolveServerCommand, whichOnPath } from '../src/interpreter';
import { resultText } from '../src/results';
import { contextOutcome, sectionAnchorAt, viewLabelAt } from '../src/cursorContext';
import { serverSettings } from '../src/settings';
import { statusSummary, statusView } from '../src/status';

const ROOT = path.resolve(__dirname, '..', '..');

test('explicit server command wins over everything', () => {
  const got = resolveServerCommand({ serverCommand: ['/opt/clm', 'serve', '--x'], python: '/usr/bin/python3', activeInterpreter: '/venv/python', onPath: '/bin/clm-lsp' });
  assert.deepEqual(got, { command: '/opt/clm', args: ['serve', '--x'], source: 'setting clm.server.command' });
});

test('python setting, then the Python extension, then PATH', () => {
  assert.deepEqual(resolveServerCommand({ python: ' /p/python ', activeInterpreter: '/venv/python' }),
    { command: '/p/python', args: ['-m', 'clm_lsp', 'serve'], source: 'setting clm.server.python' });
  assert.deepEqual(resolveServerCommand({ serverCommand: ['  '], activeInterpreter: '/venv/python', onPath: '/bin/clm-lsp' }),
    { command: '/venv/python', args: ['-m', 'clm_lsp', 'serve'], source: 'Python extension' });
  assert.deepEqual(resolveServerCommand({ onPath: '/bin/clm-lsp' }), { command: '/bin/clm-lsp', args: ['serve'], source: 'PATH' });
});

test('nothing found is a message, not an exception', () => {
  const got = resolveServerCommand({});
  assert.ok('error' in got && got.error.includes('clm.server.python'));
});

test('whichOnPath finds the first existing candidate and skips empty entries', () => {
  const present = new Set(['/b/clm-lsp', '/c/clm-lsp']);
  assert.equal(whichOnPath('clm-lsp', '/a::/b/:/c', ':', (p) => present.has(p)), '/b/clm-lsp');
  assert.equal(whichOnPath('clm-lsp', undefined, ':', () => true), undefined);
  assert.equal(whichOnPath('clm-lsp', 'C:\\bin', ';', (p) => p === 'C:\\bin/clm-lsp.exe', ['.exe']), 'C:\\bin/clm-lsp.exe');
});

test('server settings keep only server keys and drop nulls', () => {
  const all = {
    server: { command: ['x'], python: '' }, trace: { server: 'verbose' },
    model: { backend: 'ollama', host: 'http://h:1', modelPath: null, model: 'qwen2.5:7b' },
    index: { enable: false }, review: { enable: true }, context: { budget: null },
  };
  assert.deepEqual(serverSettings(all), { model: { backend: 'ollama', host: 'http://h:1', model: 'qwen2.5:7b' }, index: { enable: false }, review: { enable: true } });
  assert.deepEqual(serverSettings(undefined), {});
  assert.deepEqual(serverSettings({ model: { modelPath: null } }), {});
});

test('every forwarded settings key is a section the server reads', () => {
  // The server's dataclass tree (clm_lsp/server/config.py) pops a message in the editor
  // for a key it does not know, so the client must never forward one.
  const source = fs.readFileSync(path.join(ROOT, '..', '..', 'clm_lsp', 'server', 'config.py'), 'utf8');
  const body = source.split('class ServerConfig')[1].split('\n\n\n')[0];
  const fields = new Set([...body.matchAll(/^ {4}(\w+): \w+ = field/gm)].map((m) => m[1]));
  assert.ok(fields.size >= 5, `could not read ServerConfig's fields: ${[...fields]}`);
  assert.deepEqual(SERVER_SETTING_KEYS.filter((k) => !fields.has(k)), []);
});

test('status bar text and tooltip from a clm/status payload', () => {
  const payload = {
    state: 'ready', documents: 27, entities: 26, sections: 140, links: 88,
    problems: { error: 2, warning: 1, information: 0, hint: 0 },
    index: { state: 'ready' }, model: { state: 'loaded', summaries: 'model' }, failedTasks: [],
  };
  const view = statusView(payload);
  assert.equal(view.text, '$(book) clm: ready · 26 entities · 2 errors');
  assert.equal(view.level, 'ok');
  assert.match(view.tooltip, /27 documents, 26 entities, 140 sections, 88 links/);
  assert.match(view.tooltip, /problems: 2 error, 1 warning/);
  assert.match(view.tooltip, /index: ready\nmodel: loaded \(summaries: model\)/);
  assert.equal(statusView({ ...payload, state: 'scanning' }).level, 'busy');
  assert.equal(statusView({ ...payload, failedTasks: [{ name: 'scan' }] }).level, 'error');
  assert.equal(statusView(undefined).level, 'busy');
  assert.match(statusSummary(payload), /^clm ready · 27 documents/);
  assert.match(statusSummary(undefined), /not reported/);
});

test('server commands the extension owns are not registered twice', () => {
  assert.deepEqual(serverCommandsToRegister(['clm.status', Commands.showContext, 'clm.contextBudget']), ['clm.status', 'clm.contextBudget']);
  assert.deepEqual(serverCommandsToRegister(undefined), []);
});

test('package.json contributes every owned command and the blueprint language', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const contributed = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  assert.deepEqual([...CLIENT_OWNED_COMMANDS].filter((c) => !contributed.has(c)), []);
  assert.deepEqual(pkg.contributes.languages[0].filenamePatterns, ['*.blueprint.md']);
  const props = Object.keys(pkg.contributes.configuration.properties);
  for (const key of ['clm.server.command', 'clm.server.python', 'clm.model.backend', 'clm.model.modelPath', 'clm.model.host',
    'clm.model.model', 'clm.model.baseUrl', 'clm.context.budget', 'clm.review.enable', 'clm.trace.server']) {
    assert.ok(props.includes(key), key);
    assert.ok(pkg.contributes.configuration.properties[key].description || pkg.contributes.configuration.properties[key].markdownDescription, key);
  }
});

test('injection grammar colours links and timeslice headings', () => {
  const grammar = JSON.parse(fs.readFileSync(path.join(ROOT, 'syntaxes', 'blueprint.injection.tmLanguage.json'), 'utf8'));
  const link = new RegExp(grammar.repository['wiki-link'].match);
  const m = link.exec('see [[rivermouth#gov|the board]] now');
  assert.deepEqual(m && [m[2], m[3], m[5]], ['rivermouth', '#gov', 'the board']);
  assert.equal(link.exec('[[a]] and')![2], 'a');
  assert.equal(link.exec('[not a link]'), null);
  const heading = new RegExp(grammar.repository['timeslice-heading'].match);
  assert.equal(heading.exec('## Timeslice 2024-Q3')![3], '2024-Q3');
  assert.equal(heading.exec('## Timeslice 2025-06-01 {#t1}')![3], '2025-06-01');
  assert.equal(heading.exec('## Vision'), null);
  const fm = JSON.parse(fs.readFileSync(path.join(ROOT, 'syntaxes', 'blueprint.frontmatter.injection.tmLanguage.json'), 'utf8'));
  const key = new RegExp(fm.repository['front-matter-key'].match);
  assert.equal(key.exec('scale: team')![1], 'scale');
  assert.equal(key.exec('  nested: x'), null);
});

test('a command result is shown as text', () => {
  assert.equal(resultText('# ctx'), '# ctx');
  assert.equal(resultText({ markdown: '**m**' }), '**m**');
  assert.match(resultText({ tokens: 3 }), /"tokens": 3/);
});

test('the section anchor at the cursor comes from the innermost section symbol', () => {
  const r = (a: number, b: number) => ({ start: { line: a }, end: { line: b } });
  const symbols = [{ detail: 'old-mill · team', range: r(0, 60), children: [
    { detail: '#vision', range: r(10, 14) },
    { detail: '#bench-notes', range: r(28, 42), children: [{ detail: '#electrical', range: r(35, 38) }] },
  ] }];
  assert.equal(sectionAnchorAt(symbols, 12), 'vision');
  assert.equal(sectionAnchorAt(symbols, 36), 'electrical');
  assert.equal(sectionAnchorAt(symbols, 40), 'bench-notes');
  assert.equal(sectionAnchorAt(symbols, 3), undefined);
  assert.equal(sectionAnchorAt(undefined, 3), undefined);
});

test('the zoom label is the label line at or above the cursor in a view', () => {
  const view = ['<!-- clm-context {"focus": "§a#b"} -->', '# Context', '', '[§old-mill#session-layout] (summary L1)', 'text', '[§city] (full)', 'more'];
  assert.equal(viewLabelAt(view, 4), '§old-mill#session-layout');
  assert.equal(viewLabelAt(view, 6), '§city');
  assert.equal(viewLabelAt(view, 1), undefined);
});

test('a context answer is an error to show or a view to open', () => {
  assert.deepEqual(contextOutcome({ error: 'no focus' }), { error: 'no focus' });
  assert.deepEqual(contextOutcome({ uri: 'file:///v.context.md', shown: false }), { open: 'file:///v.context.md' });
  assert.deepEqual(contextOutcome({ uri: 'file:///v.context.md', shown: true }), {});
  assert.deepEqual(contextOutcome(undefined), {});
  // clm.synthesizeSection: a refusal carries its reason as error; an applied edit needs nothing more.
  assert.deepEqual(contextOutcome({ applied: false, reason: 'cancelled', error: 'cancelled' }), { error: 'cancelled' });
  assert.deepEqual(contextOutcome({ applied: true, reason: '', text: 'New text.' }), { quiet: true });
});
