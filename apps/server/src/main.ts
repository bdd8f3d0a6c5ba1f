#!/usr/bin/env node
// The `termrelay` command: parses arguments, loads the config, listens, and shuts down gracefully on
// SIGTERM/SIGINT. Everything else is built by createApp().
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApp } from './app.js';
import { checkConfigFiles } from './config-files.js';
import {
  ConfigError,
  DEV_ORIGINS,
  defaultConfig,
  loadConfigFile,
  parseConfig,
  type Config,
} from './config.js';
import { describeListenError } from './listen-error.js';
import { createLogger } from './logger.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const HELP = `Usage: termrelay [--config FILE] [--dev]

A browser SSH console: serves the web terminal and relays each console to its SSH target.

Options:
  -c, --config FILE   JSON config (see apps/server/README.md for every key and default).
                      Without one: a shell on this machine, on http://127.0.0.1:8080
      --dev           also allow the Vite dev server's origins (127.0.0.1 and localhost on :5173)
  -h, --help          show this help
  -v, --version       print the version

Environment:
  HOST, PORT          override listen.host and listen.port
  TERMRELAY_TOKEN     the token a shell on this machine (a "local" target) requires;
                      without it one is made up at start and printed in the URL
`;

/** Exit within this after SIGTERM/SIGINT, whatever the clients do. */
const SHUTDOWN_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        dev: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`termrelay: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (args.values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (args.values.version) {
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  let config: Config;
  try {
    config = args.values.config
      ? await loadConfigFile(args.values.config, process.env)
      : parseConfig(defaultConfig({ dev: args.values.dev ?? false }), process.env);
    if (args.values.dev && args.values.config)
      config = { ...config, publicOrigins: [...config.publicOrigins, ...DEV_ORIGINS] };
    await checkConfigFiles(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`termrelay: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const logger = createLogger(config.log.level);
  let relay: ReturnType<typeof createApp>;
  try {
    // Reads the ticket keys and opens the audit file: a problem there is the config's, said in words.
    relay = createApp(config, { logger });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`termrelay: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  relay.server.once('error', (error: NodeJS.ErrnoException) => {
    const words = describeListenError(error, config.listen.host, config.listen.port);
    logger.fatal({ err: error.message, code: error.code }, 'cannot listen');
    process.stderr.write(`termrelay: ${words}\n`);
    process.exit(1);
  });
  relay.server.listen(config.listen.port, config.listen.host, () => {
    const address = relay.server.address();
    const port = typeof address === 'object' && address ? address.port : config.listen.port;
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
    logger.info(
      { listen: `${host}:${port}`, targets: config.targets.length, auth: config.auth.mode },
      'termrelay listening',
    );
    if (config.auth.mode === 'none') {
      logger.warn(
        'auth.mode is "none": anyone who can reach this port, other local users included, can open a console',
      );
    }
    // The token goes to stdout only, for a person to click or a script to read; never to the log.
    const query = config.startupToken ? `?token=${encodeURIComponent(config.startupToken)}` : '';
    process.stdout.write(`termrelay: open http://${host}:${port}/${query}\n`);
  });
  if (relay.metricsServer && config.metrics.listen) {
    const { host, port } = config.metrics.listen;
    relay.metricsServer.once('error', (error) => {
      logger.fatal({ err: error.message }, 'cannot listen for metrics');
      process.exit(1);
    });
    relay.metricsServer.listen(port, host, () =>
      logger.info({ listen: `${host}:${port}` }, 'metrics listening'),
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, sessions: relay.sessions.size }, 'shutting down');
    setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
    void relay.shutdown(SHUTDOWN_DEADLINE_MS - 1000).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
