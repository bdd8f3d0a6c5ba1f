#!/usr/bin/env node
// The `termrelay` command as npm links it. It lives outside dist/ on purpose: npm links a workspace's bins
// at install time, before anything is built, and skips a bin whose file does not exist yet — so the link
// must point at a file that is always there. It only starts the built server; it must never hold logic.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);

if (!existsSync(main)) {
  process.stderr.write(
    'termrelay: the server is not built yet (apps/server/dist/main.js is missing).\n' +
      'Run `npm run build` at the repository root, then run this command again.\n',
  );
  process.exit(1);
}

await import(main.href);
