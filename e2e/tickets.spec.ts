// A console embedded in a platform: the platform mints a short-lived ticket and opens the page with it.
// The page reaches the target the ticket names, the ticket leaves the address bar, and a target the
// ticket does not name is refused in words.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { SignJWT } from 'jose';
import { startTermrelayProcess, type TermrelayProcess } from '@termrelay/server/testing';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { headerText, run, sshdTarget, waitForScreen } from './helpers.js';

const WEB_ROOT = fileURLToPath(new URL('../apps/web/dist', import.meta.url));
const SECRET = 'an-e2e-secret-shared-with-the-platform-0123456789';
const ISSUER = 'https://platform.example';

let sshd: TestSshd;
let relay: TermrelayProcess;
let dir: string;

/** What the platform does: a few lines of jose, as in the README. */
async function mintTicket(sub: string, targets: string[]): Promise<string> {
  return await new SignJWT({ targets })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('termrelay')
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(new TextEncoder().encode(SECRET));
}

test.beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'termrelay-e2e-tickets-'));
  const secretFile = join(dir, 'ticket-secret');
  writeFileSync(secretFile, SECRET, { mode: 0o600 });
  relay = await startTermrelayProcess({
    webRoot: WEB_ROOT,
    auth: { mode: 'jwt', secretFile, issuer: ISSUER },
    targets: [sshdTarget(sshd, 'vm1', 'Ticket VM'), sshdTarget(sshd, 'vm2', 'Other VM')],
  });
});
test.afterAll(async () => {
  relay?.stop();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the page opened with a ticket reaches its target, and the ticket leaves the address bar', async ({
  page,
}) => {
  const ticket = await mintTicket('alice', ['vm1']);
  await page.goto(`${relay.origin}/?target=vm1&ticket=${ticket}`);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  expect(page.url()).not.toContain('ticket');
  expect(page.url()).not.toContain(ticket.slice(0, 16));
  expect(new URL(page.url()).searchParams.get('target')).toBe('vm1');
  await expect(page.locator('#target')).toHaveText('Ticket VM');
  await page.locator('.xterm-helper-textarea').focus();
  await run(page, 'echo ticket-$((40+2))');
  await waitForScreen(page, /ticket-42/);
  // Held in memory only: nothing in storage or cookies, and the server never logged it.
  expect(
    await page.evaluate(
      () => document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage),
    ),
  ).not.toContain(ticket.slice(0, 16));
  expect(relay.output()).not.toContain(ticket.slice(0, 16));
});

test('a target the ticket does not name is refused in words', async ({ page }) => {
  const ticket = await mintTicket('alice', ['vm1']);
  await page.goto(`${relay.origin}/?target=vm2&ticket=${ticket}`);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended');
  expect(await headerText(page)).toBe('You are not allowed to open this target');
  expect(page.url()).not.toContain('ticket');
  await expect(page.locator('#signin')).toBeHidden();
});

test('an expired ticket is refused in words, without offering a token form', async ({ page }) => {
  const expired = await new SignJWT({ targets: ['vm1'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setAudience('termrelay')
    .setIssuer(ISSUER)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 600)
    .sign(new TextEncoder().encode(SECRET));
  await page.goto(`${relay.origin}/?target=vm1&ticket=${expired}`);
  await expect(page.locator('#status')).toHaveText('Not signed in: the ticket has expired');
  await expect(page.locator('#signin')).toBeHidden();
});
