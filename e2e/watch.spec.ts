// Watch and record in the browser: the owner shares a read-only link, a second browser (its own context,
// so nothing of the owner's page is shared) follows the typing live and cannot type into the shell, and
// the recordings page plays the session back with asciinema-player under the server's CSP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { startTermrelayProcess, type TermrelayProcess } from '@termrelay/server/testing';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { openConsole, run, screenText, sshdTarget, waitForScreen } from './helpers.js';

const WEB_ROOT = fileURLToPath(new URL('../apps/web/dist', import.meta.url));

let sshd: TestSshd;
let server: TermrelayProcess;
let recordings: string;

test.beforeAll(async () => {
  sshd = await startSshd();
  recordings = mkdtempSync(join(tmpdir(), 'termrelay-e2e-rec-'));
  server = await startTermrelayProcess({
    webRoot: WEB_ROOT,
    targets: [sshdTarget(sshd, 'vm1', 'Watched VM')],
    recording: { dir: recordings },
  });
});
test.afterAll(async () => {
  server?.stop();
  await sshd?.stop();
  if (recordings) rmSync(recordings, { recursive: true, force: true });
});

/** Every CSP violation the page reports, as "directive blocked-uri". */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
  });
  void page.exposeFunction('__cspViolation', (text: string) => seen.push(text));
  void page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation(t: string): void }).__cspViolation(
        `${e.effectiveDirective} ${e.blockedURI}`,
      );
    }),
  );
  return seen;
}

test('a second browser follows the owner live through the read-only link, and cannot type into the shell', async ({
  page,
  browser,
}) => {
  await openConsole(page, server.origin);
  await run(page, 'clear; echo before-share-$((2*3))');
  await waitForScreen(page, /^before-share-6$/m);

  await page.getByRole('button', { name: 'Share read-only' }).click();
  const link = page.locator('#share-link');
  await expect(link).toBeVisible();
  const url = new URL(await link.inputValue());
  expect(url.origin).toBe(server.origin);
  expect(url.pathname).toBe('/watch');
  await expect(page.getByRole('button', { name: 'Stop sharing' })).toBeVisible();
  // The click moved focus to the link; the owner clicks back into the terminal to type.
  await page.locator('#terminal').click();

  const other = await browser.newContext();
  try {
    const watcher = await other.newPage();
    const violations = cspViolations(watcher);
    await watcher.goto(url.href);
    await expect(watcher.locator('#bar')).toHaveAttribute('data-state', 'connected');
    await expect(watcher.locator('#status')).toHaveText('Watching (read-only)');
    // What the log kept from before the share, then the owner's count.
    await waitForScreen(watcher, /^before-share-6$/m);
    await expect(page.locator('#watchers')).toHaveText('1 watching');

    // The owner types: the watcher sees each keystroke's echo as it comes, before Enter.
    await page.keyboard.type('echo live-');
    await waitForScreen(watcher, /\$ echo live-$/m);
    await page.keyboard.type('$((6*7))');
    await waitForScreen(watcher, /\$ echo live-\$\(\(6\*7\)\)$/m);
    await page.keyboard.press('Enter');
    await waitForScreen(watcher, /^live-42$/m);

    // The watcher types a command that would leave a mark on the remote; the page keeps it to itself.
    const mark = `/tmp/watcher-typed-${Date.now()}`;
    await watcher.locator('#terminal').click();
    await watcher.keyboard.type(`touch ${mark}; echo intruder-$((5*5))`);
    await watcher.keyboard.press('Enter');
    await expect(watcher.locator('#bar')).toHaveAttribute('data-state', 'connected');

    // The owner's shell saw nothing of it: no file, no echo, and its next command runs clean.
    await run(page, `clear; test -e ${mark} && echo mark-present || echo mark-absent-$((1+1))`);
    await waitForScreen(page, /^mark-absent-2$/m);
    await waitForScreen(watcher, /^mark-absent-2$/m);
    expect(await screenText(page)).not.toContain('intruder');
    expect(await screenText(watcher)).not.toContain('intruder-25');
    expect(violations).toEqual([]);

    // Stop sharing closes the watcher.
    await page.getByRole('button', { name: 'Stop sharing' }).click();
    await expect(watcher.locator('#bar')).toHaveAttribute('data-state', 'ended');
    await expect(page.locator('#watchers')).toHaveText('');
  } finally {
    await other.close();
  }
});

test('the recordings page lists the session and plays it with asciinema-player under the CSP', async ({
  page,
}) => {
  await openConsole(page, server.origin);
  const word = `recorded-${Date.now()}`;
  await run(page, `clear; echo ${word}-$((8*8))`);
  await waitForScreen(page, new RegExp(`^${word}-64$`, 'm'));
  // Disconnect ends the session, so its file is complete.
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended');

  const violations = cspViolations(page);
  await page.goto(`${server.origin}/recordings`);
  const entries = page.locator('#recordings button');
  await expect(entries.first()).toBeVisible();
  // The newest session is ours: play the entry whose recording holds the word.
  const count = await entries.count();
  let played = false;
  for (let i = 0; i < count && !played; i++) {
    const session = (await entries.nth(i).getAttribute('data-session')) ?? '';
    const cast = await page.request.get(`${server.origin}/api/recordings/${session}`);
    if (!(await cast.text()).includes(`${word}-64`)) continue;
    await expect(entries.nth(i)).toContainText('vm1');
    await entries.nth(i).click();
    played = true;
  }
  expect(played).toBe(true);
  await expect(page.locator('#player .ap-player')).toBeVisible();
  await expect
    .poll(() => page.locator('#player .ap-term-text').textContent(), {
      timeout: 15_000,
      message: `the player shows the session (CSP violations: ${JSON.stringify(violations)})`,
    })
    .toContain(`${word}-64`);
  expect(violations).toEqual([]);
});
