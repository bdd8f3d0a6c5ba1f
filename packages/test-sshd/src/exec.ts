// Runs a short command and returns its stdout, failing with its stderr: the fixture's only way to call
// ssh-keygen, useradd and chpasswd.
import { spawn } from 'node:child_process';

export async function execText(command: string, args: readonly string[], input?: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
    // A command that never reads its input may exit first: EPIPE on its stdin is not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
