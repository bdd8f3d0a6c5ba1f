// Reading and driving the terminal through the page, the way a person sees it: xterm's rendered rows in
// the DOM, the header's state and words. Never screenshots.
import { expect, type Page } from '@playwright/test';
import type { TestSshd } from '@termrelay/test-sshd';

/** A target entry for a termrelay config that logs in to the test sshd (pinning `fingerprint`). */
export function sshdTarget(sshd: TestSshd, id: string, label: string, fingerprint = sshd.hostKeyFingerprint) {
  return {
    id,
    label,
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientPrivateKeyPath,
    hostKeyFingerprints: [fingerprint],
  };
}

export const BASE_URL = () => process.env.TERMRELAY_E2E_URL ?? '';
export const IDLE_URL = () => process.env.TERMRELAY_E2E_IDLE_URL ?? '';

/** The visible rows of the terminal as text (non-breaking spaces as spaces). */
export async function screenText(page: Page): Promise<string> {
  return await page
    .locator('.xterm-rows')
    .evaluate((rows) =>
      Array.from(rows.children, (row) => (row.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join(
        '\n',
      ),
    );
}

export async function waitForScreen(page: Page, pattern: RegExp, timeout = 10_000): Promise<void> {
  await expect.poll(() => screenText(page), { timeout, intervals: [50, 100] }).toMatch(pattern);
}

export async function openConsole(page: Page, url = BASE_URL(), query = '?target=vm1'): Promise<void> {
  await page.goto(`${url}/${query}`);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await page.locator('.xterm-helper-textarea').focus();
}

/** Types a command and presses Enter, as a person would. */
export async function run(page: Page, command: string): Promise<void> {
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
}

export async function headerText(page: Page): Promise<string> {
  return (await page.locator('#status').textContent()) ?? '';
}
