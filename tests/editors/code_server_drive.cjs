// Drives a real VS Code (code-server in headless Chromium) for test_code_server_e2e.py:
// open a blueprint, hover a [[link]], run "clm: Show Status" from the palette, take
// screenshots, and write what the editor showed as JSON. Every wait is bounded.
// Usage: node code_server_drive.cjs URL FILE_NAME LINK_TEXT OUT_DIR   (env PLAYWRIGHT_CORE, CHROMIUM)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const [url, fileName, linkText, outDir] = process.argv.slice(2);
const result = { steps: [] };
const log = (name, extra = {}) => result.steps.push({ name, t: Date.now(), ...extra });

async function openFile(page) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 15000 });
  await page.keyboard.type(fileName, { delay: 20 });
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${fileName}"]`, { timeout: 15000 });
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.tab.active[aria-label*="${fileName}"]`, { timeout: 15000 });
  await page.waitForSelector('.monaco-editor .view-lines', { timeout: 15000 });
}

/** Put the cursor inside linkText with the find widget, then close it (selection stays). */
async function cursorOnLink(page) {
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('Control+F');
  await page.waitForSelector('.find-widget.visible textarea, .find-widget.visible input', { timeout: 10000 });
  await page.keyboard.type(linkText, { delay: 10 });
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.keyboard.press('ArrowLeft'); // collapse the selection to its start, inside [[...]]
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
}

async function hover(page) {
  // editor.action.showHover: Ctrl+K Ctrl+I. Retried: the first hover can come before the
  // server has read the workspace.
  for (let attempt = 0; attempt < 20; attempt++) {
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    try {
      // Wait for the test's expected words: the link's own tooltip (also from our server)
      // can show first in the same widget.
      await page.waitForFunction((expected) => [...document.querySelectorAll('.monaco-hover:not(.hidden)')]
        .some((el) => el.innerText.includes(expected)), process.env.CLM_EXPECT_HOVER || '›', { timeout: 3000 });
      return await page.$$eval('.monaco-hover:not(.hidden)', (els) => els.map((el) => el.innerText).join('\n'));
    } catch {
      await page.keyboard.press('Escape');
    }
  }
  return await page.$eval('.monaco-hover', (el) => el.innerText).catch(() => '');
}

async function runPalette(page, title) {
  await page.keyboard.press('Control+Shift+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 15000 });
  await page.keyboard.type(title, { delay: 20 });
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${title}"]`, { timeout: 15000 });
  await page.keyboard.press('Enter');
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    log('workbench');
    await openFile(page);
    log('opened');
    // The status bar item shows the server's clm/status: "ready" = the workspace is read.
    await page.waitForFunction(() => [...document.querySelectorAll('.statusbar-item')].some((e) => /clm: ready/.test(e.innerText)), null, { timeout: 90000 });
    result.statusBar = await page.$$eval('.statusbar-item', (items) => items.map((e) => e.innerText).filter((t) => t.includes('clm')).join(' | '));
    log('status bar ready');
    // Code lenses arrive a moment later and shift the lines, which closes an open hover.
    await page.waitForSelector('.contentWidgets .codelens-decoration, .monaco-editor .codelens-decoration', { timeout: 10000 }).catch(() => {});
    await page.waitForTimeout(500);
    await cursorOnLink(page);
    result.hover = await hover(page);
    log('hover');
    await page.screenshot({ path: path.join(outDir, 'vscode-hover.png') });
    result.hoverVisibleInScreenshot = await page.$$eval('.monaco-hover:not(.hidden)',
      (els, expected) => els.some((el) => el.innerText.includes(expected)), process.env.CLM_EXPECT_HOVER || '›').catch(() => false);
    await page.keyboard.press('Escape');
    await runPalette(page, 'clm: Show Status');
    await page.waitForFunction(() => [...document.querySelectorAll('.notification-toast')].some((e) => e.innerText.includes('documents')), null, { timeout: 20000 });
    result.notification = await page.$$eval('.notification-toast', (ts) => ts.map((t) => t.innerText).join('\n'));
    log('show status');
    await page.screenshot({ path: path.join(outDir, 'vscode-status.png') });
    // The cursor is still in "Exchange with Kamikatsu": the server writes that section's
    // context view and asks VS Code to show it (window/showDocument).
    await page.keyboard.press('Escape');
    await page.click('.monaco-editor .view-lines .view-line:has-text("sorting-station layout")');
    await runPalette(page, 'clm: Show Compressed Context');
    await page.waitForSelector('.tab[aria-label*=".context.md"]', { timeout: 30000 });
    result.contextTab = await page.$eval('.tab[aria-label*=".context.md"]', (t) => t.getAttribute('aria-label'));
    await page.waitForFunction(() => [...document.querySelectorAll('.monaco-editor .view-lines')].some((e) => /Context\s+for/.test(e.innerText)), null, { timeout: 15000 });
    result.contextHead = await page.$$eval('.monaco-editor .view-lines', (els) => els.map((e) => e.innerText.replace(/\u00a0/g, ' ')).filter((t) => t.includes('Context for')).join('\n').slice(0, 600));
    log('show context');
    await page.screenshot({ path: path.join(outDir, 'vscode-context.png') });
  } catch (error) {
    result.error = String(error && error.stack || error);
    try {
      const pages = browser.contexts()[0]?.pages() ?? [];
      if (pages[0]) await pages[0].screenshot({ path: path.join(outDir, 'vscode-failure.png') });
    } catch { /* the failure screenshot is best effort */ }
  } finally {
    fs.writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 2));
    await browser.close();
  }
}

main();
