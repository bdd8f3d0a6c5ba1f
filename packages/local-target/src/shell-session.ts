// One shell under a real PTY for one SSH session channel: pty-req sets its size and TERM, env adds
// LANG/LC_* (as sshd's AcceptEnv does), window-change resizes it, and its end is reported as exit-status or
// exit-signal. Output is written to the channel with backpressure: when the SSH window is used up the PTY
// is paused, so the shell blocks exactly as it would behind sshd.
import { constants } from 'node:os';
import type { PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import * as pty from 'node-pty';

export interface ShellOptions {
  readonly shell: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

const ACCEPTED_ENV = /^(LANG|LC_[A-Z_]+)$/;

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name.replace(/^SIG/, '')]),
);

export function serveShellSession(session: Session, options: ShellOptions): void {
  let size = { cols: 80, rows: 24, term: 'xterm-256color' };
  const env: Record<string, string> = {};
  let proc: pty.IPty | undefined;

  session.on('pty', (accept, _reject, info: PseudoTtyInfo) => {
    size = { cols: info.cols || 80, rows: info.rows || 24, term: info.term || 'xterm-256color' };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    size = { ...size, cols: info.cols || size.cols, rows: info.rows || size.rows };
    proc?.resize(size.cols, size.rows);
    accept?.();
  });
  session.on('env', (accept, reject, info) => {
    if (ACCEPTED_ENV.test(info.key)) {
      env[info.key] = info.val;
      accept?.();
    } else {
      reject?.();
    }
  });
  session.on('shell', (accept) => {
    const channel = accept();
    if (!channel) return;
    try {
      proc = spawnShell(channel, options, size, env);
    } catch (error) {
      channel.stderr.write(`cannot start ${options.shell}: ${(error as Error).message}\r\n`);
      channel.exit(127);
      channel.end();
    }
  });
  session.on('close', () => {
    // The relay went away: hang up on the shell as sshd does.
    try {
      proc?.kill('SIGHUP');
    } catch {
      // Already gone.
    }
  });
}

function spawnShell(
  channel: ServerChannel,
  options: ShellOptions,
  size: { cols: number; rows: number; term: string },
  sessionEnv: Record<string, string>,
): pty.IPty {
  const proc = pty.spawn(options.shell, [...options.args], {
    name: size.term,
    cols: size.cols,
    rows: size.rows,
    cwd: options.cwd,
    env: { ...process.env, ...options.env, ...sessionEnv, TERM: size.term },
    // Buffers, not strings: bytes pass through untouched, whatever the encoding.
    encoding: null,
  });
  let paused = false;
  const resume = () => {
    paused = false;
    proc.resume();
  };
  proc.onData((data: string | Buffer) => {
    if (!channel.write(data) && !paused) {
      paused = true;
      proc.pause();
      channel.once('drain', resume);
    }
  });
  channel.on('data', (data: Buffer) => proc.write(data));
  channel.on('error', () => {});
  // The relay closed the channel or dropped the connection: hang up on the shell as sshd does.
  let exited = false;
  channel.on('close', () => {
    if (exited) return;
    try {
      proc.kill('SIGHUP');
    } catch {
      // Already gone.
    }
  });
  proc.onExit(({ exitCode, signal }) => {
    exited = true;
    channel.removeListener('drain', resume);
    const name = signal ? SIGNAL_NAMES.get(signal) : undefined;
    if (name) channel.exit(name, false, '');
    else channel.exit(exitCode);
    channel.end();
  });
  return proc;
}
