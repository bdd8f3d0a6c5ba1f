// Who may open the console: the zero-setup default prints a URL with a token, the page trades the token
// for an HttpOnly cookie and drops it from the address bar, and without it a person gets a sign-in form.
import { expect, test } from '@playwright/test';
import { startTermrelayProcess, type TermrelayProcess } from '@termrelay/server/testing';
import { run, waitForScreen } from './helpers.js';

let local: TermrelayProcess;

test.beforeAll(async () => {
  local = await startTermrelayProcess(null);
});
test.afterAll(() => local?.stop());

test('the printed URL opens a shell on this machine, and the token leaves the address bar', async ({
  page,
}) => {
  expect(local.printedUrl).toMatch(/\?token=[A-Za-z0-9_-]{22,}$/);
  await page.goto(local.printedUrl);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  expect(page.url()).not.toContain('token');
  await page.locator('.xterm-helper-textarea').focus();
  await run(page, 'echo signed-$((20+22))');
  await waitForScreen(page, /signed-42/);
  // The cookie is HttpOnly: the page's scripts cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('termrelay_token');
});

test('without the token the page asks for it, and a wrong one is refused in words', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${local.origin}/`);
  await expect(page.locator('#signin')).toBeVisible();
  await expect(page.locator('#status')).toHaveText(/Sign in/);
  await page.locator('#signin-token').fill('not-the-right-token-at-all');
  await page.locator('#signin button').click();
  await expect(page.locator('#signin-hint')).toHaveText(/not accepted/);
  const token = new URL(local.printedUrl).searchParams.get('token') ?? '';
  await page.locator('#signin-token').fill(token);
  await page.locator('#signin button').click();
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await expect(page.locator('#signin')).toBeHidden();
  await context.close();
});
