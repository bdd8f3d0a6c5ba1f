// `npm run dev` (and `turbo dev`): the server's edit loop. tsc rebuilds dist/ on every save of src/, and
// Node restarts the server whenever a file it loaded from dist/ changes — as Vite does for the page.
// The server runs with --dev, so the Vite dev server's origin (http://127.0.0.1:5173) may open consoles.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
const children = [];
const start = (args, options = {}) => {
  const child = spawn(process.execPath, args, {
    cwd: here,
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  });
  children.push(child);
  return child;
};

// One token for the whole loop, so a restart does not sign the page out (TERMRELAY_TOKEN still wins).
const env = {
  ...process.env,
  TERMRELAY_TOKEN: process.env.TERMRELAY_TOKEN || randomBytes(16).toString('base64url'),
};
let server;
const compiler = start([tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput']);
compiler.stdout.on('data', (chunk) => {
  const text = chunk.toString();
  process.stdout.write(text);
  // The first clean build starts the server; later builds restart it through node --watch.
  if (!server && /Found 0 errors/.test(text)) {
    server = start(['--watch', 'dist/main.js', '--dev', ...process.argv.slice(2)], { stdio: 'inherit', env });
  }
});
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
