// Sessions outlive the page's connection: a reload comes back to the same shell with the screen as it
// was, a cut connection heals by itself with input typed meanwhile delivered once, and Disconnect ends
// the session for good.
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { startTermrelayProcess, type TermrelayProcess } from '@termrelay/server/testing';
import { freePort, startSshd, type TestSshd } from '@termrelay/test-sshd';
import { openConsole, run, screenText, waitForScreen } from './helpers.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const WEB_ROOT = fileURLToPath(new URL('../apps/web/dist', import.meta.url));

/** Reloads past the leave guard (a reload loses nothing now, but the browser cannot tell it from a close). */
async function reload(page: Page): Promise<void> {
  const accept = (dialog: { accept(): Promise<void> }) => void dialog.accept();
  page.on('dialog', accept);
  await page.reload();
  page.off('dialog', accept);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await page.locator('.xterm-helper-textarea').focus();
}

/** The output offset each resume of the page asked for, in order. */
function resumeOffsets(page: Page): number[] {
  const offsets: number[] = [];
  page.on('websocket', (ws) => {
    const url = new URL(ws.url());
    if (url.pathname.startsWith('/api/sessions/')) offsets.push(Number(url.searchParams.get('offset')));
  });
  return offsets;
}

/** Lines of the screen equal to `line`: how many times something arrived. */
async function count(page: Page, line: string): Promise<number> {
  return (await screenText(page)).split('\n').filter((l) => l === line).length;
}

async function shellPid(page: Page, tag: string): Promise<string> {
  await run(page, `echo ${tag}=$$.`);
  await waitForScreen(page, new RegExp(`^${tag}=\\d+\\.$`, 'm'));
  return new RegExp(`^${tag}=(\\d+)\\.$`, 'm').exec(await screenText(page))?.[1] ?? '';
}

test.describe('reload', () => {
  test('a reload comes back to the same shell, with the earlier output and the cursor where they were', async ({
    page,
  }) => {
    await openConsole(page);
    await run(page, "clear; export MARK=kept-$((7*6)); seq 1 40 | sed 's/^/row-/'");
    await waitForScreen(page, /^row-40$/m);
    const pid = await shellPid(page, 'before');
    const before = await screenText(page);
    const offsets = resumeOffsets(page);
    await reload(page);
    // The snapshot puts the screen back as it was, and the page resumes from where it stood: nothing of
    // the earlier output is sent again.
    await expect.poll(() => screenText(page)).toBe(before);
    expect(offsets).toHaveLength(1);
    expect(offsets[0]).toBeGreaterThan(0);
    await run(page, 'echo mark=$MARK');
    await waitForScreen(page, /^mark=kept-42$/m);
    expect(await shellPid(page, 'after')).toBe(pid);
    // The new output continued right below the old, on the prompt line the cursor was on.
    const lines = (await screenText(page)).split('\n');
    const at = lines.findIndex((l) => /^before=\d+\.$/.test(l));
    expect(lines[at + 1]).toMatch(/\$ echo mark=\$MARK$/);
  });

  test('without a snapshot the page replays what the server kept', async ({ page }) => {
    await openConsole(page);
    await run(page, "clear; export MARK=replayed; seq 1 20 | sed 's/^/line-/'");
    await waitForScreen(page, /^line-20$/m);
    // Drop the snapshot the page saves on pagehide (this listener runs after the page's own).
    await page.evaluate(() =>
      window.addEventListener('pagehide', () => sessionStorage.removeItem('termrelay:snapshot:vm1')),
    );
    const offsets = resumeOffsets(page);
    await reload(page);
    expect(offsets).toEqual([0]);
    await waitForScreen(page, /^line-20$/m);
    await run(page, 'echo mark=$MARK');
    await waitForScreen(page, /^mark=replayed$/m);
  });

  test('beyond what the server keeps, a reload without a snapshot says earlier output was not kept', async ({
    page,
  }) => {
    await openConsole(page);
    // 3 MB of output, more than the session's 1 MiB buffer keeps once the page has acked it, all on one
    // line (carriage returns), so that the replay fits on the screen.
    await run(page, "clear; yes 0123456789 | head -c 3000000 | tr '\\n' '\\r'; echo; echo flood-done");
    await waitForScreen(page, /^flood-done$/m, 30_000);
    await page.evaluate(() =>
      window.addEventListener('pagehide', () => sessionStorage.removeItem('termrelay:snapshot:vm1')),
    );
    await reload(page);
    await waitForScreen(page, /^flood-done$/m, 30_000);
    // One dim line where the gap is, at the top of a fresh screen, then the replay.
    expect((await screenText(page)).split('\n')[0]).toBe('earlier output was not kept');
    await expect(page.locator('.xterm-rows > div').first().locator('span').first()).toHaveClass(/xterm-dim/);
  });
});

test.describe('a cut connection', () => {
  let sshd: TestSshd;
  let server: TermrelayProcess;
  let proxy: TcpProxy;

  test.beforeAll(async () => {
    sshd = await startSshd();
    const port = await freePort();
    server = await startTermrelayProcess({
      webRoot: WEB_ROOT,
      // The page comes through the proxy: its origin is the one the server must answer.
      publicOrigins: [`http://127.0.0.1:${port}`],
      targets: [
        {
          id: 'vm1',
          label: 'Test VM',
          host: sshd.host,
          port: sshd.port,
          username: sshd.username,
          privateKeyPath: sshd.clientPrivateKeyPath,
          hostKeyFingerprints: [sshd.hostKeyFingerprint],
        },
      ],
    });
    proxy = await startTcpProxy(port, server.port);
  });
  test.afterAll(async () => {
    await proxy?.close();
    server?.stop();
    await sshd?.stop();
  });

  test('heals by itself: "Reconnecting…", then the same shell, and text typed during the cut arrives once', async ({
    page,
  }) => {
    await openConsole(page, proxy.origin);
    await run(page, 'clear; echo earlier-output');
    await waitForScreen(page, /^earlier-output$/m);
    const pid = await shellPid(page, 'before');
    const file = `~/cut-${Date.now()}.txt`;
    // Half a command goes through before the cut...
    await page.keyboard.type('echo part1');
    await waitForScreen(page, /\$ echo part1$/m);
    proxy.block();
    proxy.sever();
    await expect(page.locator('#bar')).toHaveAttribute('data-state', 'reconnecting');
    await expect(page.locator('#status')).toHaveText('Reconnecting…');
    // ...the rest is typed while the page cannot reach the server, and retries keep failing for a while.
    await page.keyboard.type(`-part2 >> ${file}; cat ${file}`);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(1500);
    await expect(page.locator('#status')).toHaveText('Reconnecting…');
    proxy.unblock();
    await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
    await waitForScreen(page, /^part1-part2$/m);
    await run(page, `echo lines=$(wc -l < ${file}); rm ${file}`);
    await waitForScreen(page, /^lines=1$/m);
    expect(await count(page, 'part1-part2')).toBe(1);
    // Nothing on the screen was lost or doubled, and it is the same shell.
    expect(await count(page, 'earlier-output')).toBe(1);
    expect(await shellPid(page, 'after')).toBe(pid);
  });

  test('a second cut right after the first heals as well, with nothing typed twice', async ({ page }) => {
    await openConsole(page, proxy.origin);
    for (let i = 1; i <= 2; i++) {
      proxy.sever();
      await page.keyboard.type(`echo cut-${i}-$((${i}*100))`);
      await page.keyboard.press('Enter');
      await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 });
      await waitForScreen(page, new RegExp(`^cut-${i}-${i * 100}$`, 'm'));
    }
    expect(await count(page, 'cut-1-100')).toBe(1);
    expect(await count(page, 'cut-2-200')).toBe(1);
  });
});

test('Disconnect ends the session: the header says so, and the session cannot be resumed', async ({
  page,
}) => {
  await openConsole(page);
  await run(page, 'echo still-here');
  await waitForScreen(page, /^still-here$/m);
  const kept = await page.evaluate(() => sessionStorage.getItem('termrelay:resume:vm1'));
  const { session, resume } = JSON.parse(kept ?? '{}') as { session: string; resume: string };
  expect(session).toBeTruthy();
  await page.locator('#disconnect').click();
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended');
  await expect(page.locator('#status')).toHaveText('The console was closed');
  await expect(page.locator('#disconnect')).toBeHidden();
  expect(await page.evaluate(() => sessionStorage.getItem('termrelay:resume:vm1'))).toBeNull();
  const answer = await page.evaluate(
    async ({ session, resume }) => {
      const url = `/api/sessions/${session}/console?resume=${resume}&offset=0&cols=80&rows=24`;
      const res = await fetch(url, { cache: 'no-store' });
      return { status: res.status, body: (await res.json()) as unknown };
    },
    { session, resume },
  );
  expect(answer).toMatchObject({ status: 404, body: { error: { code: 'session_not_found' } } });
  // Reconnect opens a fresh session.
  await page.locator('#reconnect').click();
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await run(page, 'echo fresh-$((1+1))');
  await waitForScreen(page, /^fresh-2$/m);
});
