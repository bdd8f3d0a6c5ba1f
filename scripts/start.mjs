// `npm start`: builds what is needed and starts the console server.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const server = new URL('../apps/server/package.json', import.meta.url);
if (!existsSync(server)) {
  console.error(
    'termrelay: the console server (apps/server) is not part of this checkout yet, so there is nothing to start.\n' +
      'What exists today is the relay core: run `npm test` to exercise it against a real sshd.',
  );
  process.exit(1);
}
const run = (args) => {
  const result = spawnSync('npx', args, {
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run(['turbo', 'run', 'build', '--output-logs=errors-only']);
run(['termrelay', ...process.argv.slice(2)]);
