import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { BASE_URL, IDLE_URL, headerText, openConsole, run, screenText, waitForScreen } from './helpers.js';

const PROMPT_END = /\$$/m;

test('opens the page, connects, and runs a command', async ({ page }) => {
  await openConsole(page);
  await expect(page.locator('#target')).toHaveText('Test VM');
  await run(page, 'echo $((6*7))');
  await waitForScreen(page, /^42$/m);
});

test('connects straight away when the page names no target and there is a choice of one', async ({
  page,
}) => {
  await page.goto(`${IDLE_URL()}/`);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await expect(page.locator('#target')).toHaveText('Idle VM');
});

test('with several targets the page offers a choice, not an error, and the URL keeps the one chosen', async ({
  page,
}) => {
  await page.goto(`${BASE_URL()}/`);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'choosing');
  await expect(page.locator('#status')).toHaveText('Choose a target');
  await page.locator('#picker').selectOption('vm1');
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  expect(new URL(page.url()).searchParams.get('target')).toBe('vm1');
  await page.reload();
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await expect(page.locator('#target')).toHaveText('Test VM');
});

test('leaving the page while a console is open asks first; once it has ended, it does not', async ({
  page,
}) => {
  await openConsole(page);
  await run(page, 'echo typed');
  await waitForScreen(page, /^typed$/m);
  const asked: string[] = [];
  page.on('dialog', (dialog) => {
    asked.push(dialog.type());
    void dialog.dismiss();
  });
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => asked).toEqual(['beforeunload']);
  expect(page.isClosed()).toBe(false);
  await run(page, 'exit');
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended');
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => page.isClosed()).toBe(true);
  expect(asked).toEqual(['beforeunload']);
});

test('resizing the window resizes the remote PTY', async ({ page }) => {
  await openConsole(page);
  for (const viewport of [
    { width: 700, height: 400 },
    { width: 1200, height: 800 },
  ]) {
    await page.setViewportSize(viewport);
    const terminal = page.locator('#terminal');
    await expect
      .poll(async () => Number(await terminal.getAttribute('data-cols')), { timeout: 5000 })
      .toBeGreaterThan(0);
    // Let the debounced fit and resize message settle.
    await page.waitForTimeout(400);
    const cols = await terminal.getAttribute('data-cols');
    const rows = await terminal.getAttribute('data-rows');
    await run(page, 'clear; stty size');
    await waitForScreen(page, new RegExp(`^${rows} ${cols}$`, 'm'));
  }
});

test('big output arrives in full and the page stays responsive', async ({ page }) => {
  await openConsole(page);
  await run(page, 'seq 1 200000');
  await waitForScreen(page, /^200000$/m, 30_000);
  await run(page, 'echo typed-$((2+3))');
  await waitForScreen(page, /^typed-5$/m);
});

test('Ctrl+C during a flood brings the prompt back within a second (flow control on)', async ({ page }) => {
  await openConsole(page);
  // The machine is shared by yes, sshd, the relay and the browser, and xterm.js parses `yes` output at
  // ~2.4 MB/s here: what is in flight when Ctrl+C lands (ssh2's 2 MiB SSH window at most) decides.
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await run(page, 'clear; yes');
    await page.waitForTimeout(1500);
    const started = Date.now();
    await page.keyboard.press('Control+C');
    await waitForScreen(page, PROMPT_END, 10_000);
    samples.push(Date.now() - started);
  }
  samples.sort((a, b) => a - b);
  test.info().annotations.push({ type: 'ctrl-c-ms', description: samples.join(', ') });
  expect(samples[0]).toBeLessThan(1000);
  expect(samples[2]).toBeLessThan(1500);
  await run(page, 'echo after-$((1+1))');
  await waitForScreen(page, /^after-2$/m);
});

test('exit 3 says so in the header, and Reconnect opens a fresh shell', async ({ page }) => {
  await openConsole(page);
  await run(page, 'export MARK=first; exit 3');
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended');
  await expect(page.locator('#status')).toHaveText('The shell exited with code 3');
  await page.locator('#reconnect').click();
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await run(page, 'echo mark=${MARK:-none}');
  await waitForScreen(page, /^mark=none$/m);
  // Enter reconnects too.
  await run(page, 'exit 0');
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended');
  await page.keyboard.press('Enter');
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
});

test('an idle session ends with the idle cause in the header', async ({ page }) => {
  await openConsole(page, IDLE_URL());
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended', { timeout: 10_000 });
  expect(await headerText(page)).toMatch(/^The session was idle for 2 seconds \(session [\w.-]+\)$/);
});

test('a killed sshd session process ends the session with the cause in words, and Reconnect works', async ({
  page,
}) => {
  await openConsole(page);
  await run(page, 'clear; echo ppid=$PPID.');
  await waitForScreen(page, /ppid=\d+\./);
  const pid = Number(/ppid=(\d+)\./.exec(await screenText(page))?.[1]);
  expect(pid).toBeGreaterThan(1);
  process.kill(pid, 'SIGKILL');
  await expect(page.locator('#status')).toHaveText(
    /^The connection to the host was lost \(session [\w.-]+\)$/,
  );
  await page.locator('#reconnect').click();
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'connected');
  await run(page, 'echo back-$((3*3))');
  await waitForScreen(page, /^back-9$/m);
});

test('unicode and colour render without mojibake, also when a character is split across frames', async ({
  page,
}) => {
  await openConsole(page);
  await run(page, "clear; printf '\\e[31mred\\e[0m ✓ 한글 🙂\\n'");
  await waitForScreen(page, /^red ✓ 한글 🙂$/m);
  const red = page.locator('.xterm-rows span', { hasText: /^red$/ }).first();
  await expect(red).toHaveClass(/xterm-fg-1/);
  // 한 is ED 95 9C: send its bytes in two writes far enough apart to travel in separate frames.
  await run(page, "printf 'split:\\xed\\x95'; sleep 0.3; printf '\\x9c\\xea\\xb8\\x80:end\\n'");
  await waitForScreen(page, /^split:한글:end$/m);
});

test('a 100 KiB paste reaches the remote byte for byte', async ({ page }) => {
  let sent = 0;
  page.on('websocket', (ws) =>
    ws.on('framesent', (frame) => {
      if (typeof frame.payload !== 'string') sent += frame.payload.length;
    }),
  );
  await openConsole(page);
  const lines: string[] = [];
  for (let i = 0; lines.join('\n').length < 100 * 1024; i++) {
    lines.push(
      `${String(i).padStart(5, '0')} the quick brown fox jumps over the lazy dog ✓ ${'x'.repeat(i % 20)}`,
    );
  }
  const text = lines.join('\n') + '\n';
  // xterm sends a paste's line breaks as CR, and in raw mode the PTY passes them on untouched.
  const expected = createHash('sha256').update(text.replace(/\n/g, '\r'), 'utf8').digest('hex');
  // head reads exactly the pasted bytes and exits, so nothing typed afterwards can end up in the file.
  const bytes = Buffer.byteLength(text, 'utf8');
  // Paste only once the shell runs the command line: while readline still reads, it would take the paste.
  // Raw mode: the line discipline passes bytes straight through, so the file holds exactly what arrived.
  await run(
    page,
    `stty raw -echo; echo PASTE""-READY; head -c ${bytes} > ~/paste.txt; stty sane; clear; echo PASTE""-DONE`,
  );
  await waitForScreen(page, /^PASTE-READY$/m);
  sent = 0;
  // The browser's paste: a ClipboardEvent on xterm's textarea, as Ctrl+V or the context menu produce.
  // A synthetic event is now and then not taken by the page at all (nothing is sent): the input path is
  // judged from the moment the page sends the paste, so an unsent paste is dispatched again. A partial
  // or doubled delivery still fails the hash below.
  for (let attempt = 0; attempt < 3 && sent < bytes; attempt++) {
    await page.locator('.xterm-helper-textarea').evaluate((el, data) => {
      const transfer = new DataTransfer();
      transfer.setData('text/plain', data);
      el.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
      );
    }, text);
    await expect
      .poll(() => sent, { timeout: 3000 })
      .toBeGreaterThanOrEqual(bytes)
      .catch(() => {});
  }
  expect(sent).toBeGreaterThanOrEqual(bytes);
  await waitForScreen(page, /^PASTE-DONE$/m, 30_000);
  await run(page, 'sha256sum ~/paste.txt; rm ~/paste.txt');
  await waitForScreen(page, new RegExp(`^${expected} `, 'm'), 20_000);
});

test('a page on a name the server does not answer gets nothing (DNS rebinding)', async ({ page }) => {
  // Same server, but "localhost" is neither in publicOrigins nor the listen address.
  const foreign = BASE_URL().replace('127.0.0.1', 'localhost');
  const response = await page.goto(`${foreign}/?target=vm1`);
  expect(response?.status()).toBe(421);
  expect(await response?.json()).toMatchObject({ error: { code: 'host_not_allowed' } });
});

test('a target whose host key changed is refused, and no shell opens', async ({ page }) => {
  await page.goto(`${BASE_URL()}/?target=badkey`);
  await expect(page.locator('#bar')).toHaveAttribute('data-state', 'ended');
  await expect(page.locator('#status')).toHaveText(/^The host's key was rejected/);
  expect((await screenText(page)).trim()).toBe('');
});
