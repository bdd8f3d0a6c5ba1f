// The account tests log in as. As root: a dedicated user with a plain home (root's own login files can be
// slow, and tests must not run shells as root). As anyone else: yourself, since sshd can only log in as
// the user it runs as.
import { userInfo } from 'node:os';
import { execText } from './exec.js';
import { isRoot } from './sshd.js';

export const TEST_USER = 'termrelay-test';

export interface TestUser {
  readonly name: string;
  readonly home: string;
}

let ensured: Promise<TestUser> | undefined;

export function ensureTestUser(): Promise<TestUser> {
  return (ensured ??= create());
}

async function create(): Promise<TestUser> {
  if (!isRoot()) {
    const me = userInfo();
    return { name: me.username, home: me.homedir };
  }
  const existing = await execText('getent', ['passwd', TEST_USER]).catch(() => '');
  if (existing === '') {
    // '*' instead of the default locked '!': with UsePAM no, sshd refuses keys for a locked account.
    await execText('useradd', ['--create-home', '--shell', '/bin/bash', '--password', '*', TEST_USER]).catch(
      (error: unknown) => {
        // Another test process may have created it in the meantime.
        if (!/already exists/.test(String(error))) throw error;
      },
    );
  }
  const line = (await execText('getent', ['passwd', TEST_USER])).trim();
  return { name: TEST_USER, home: line.split(':')[5] ?? `/home/${TEST_USER}` };
}
