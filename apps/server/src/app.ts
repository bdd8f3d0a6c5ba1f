// Builds the server without starting it: wires the HTTP hardening, the routes, the upgrade gate and the
// session registry together. main.ts listens; tests build one per suite on a free port. Nothing here
// decides anything itself: each concern lives in its own module.
import { createServer, type Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { CredentialProvider } from '@termrelay/relay-core';
import { createAuditLog } from './audit.js';
import { createAuthenticator } from './auth.js';
import { BufferPool } from './buffer-pool.js';
import { createProxyTrust } from './client-address.js';
import type { Config } from './config.js';
import {
  allowedHosts,
  connectionsCheckingInterval,
  guardHeaderPhase,
  hostAllowed,
  securityHeaders,
} from './http-hardening.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { apiRoutes, healthRoute, metricsRoute, sendError, webRoutes, type RouteContext } from './routes.js';
import { SessionRegistry } from './session-registry.js';
import { createTargetRegistry } from './targets.js';
import { createUpgradeHandler } from './upgrade-handler.js';
import type { ConsoleSession } from './console-session.js';

export interface AppOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Overrides config.webRoot. */
  readonly webRoot?: string;
  /** Wraps each session's credential provider, e.g. to mint ephemeral keys or to audit acquire/release. */
  readonly wrapCredentials?: (provider: CredentialProvider, targetId: string) => CredentialProvider;
}

export interface TermrelayApp {
  readonly config: Config;
  readonly app: express.Express;
  /** The HTTP server, not yet listening. */
  readonly server: Server;
  /** With `metrics.listen`: the separate metrics server, not yet listening. */
  readonly metricsServer: Server | undefined;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Every session held now. */
  readonly sessions: SessionRegistry<ConsoleSession>;
  /** Stops accepting, closes every console with 1001 and resolves when all are closed or `graceMs` passed. */
  shutdown(graceMs?: number): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The web app's build, beside the server in this repository. */
export const DEFAULT_WEB_ROOT = resolve(here, '../../web/dist');

export function createApp(config: Config, options: AppOptions = {}): TermrelayApp {
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = options.metrics ?? createMetrics();
  const targets = createTargetRegistry(config.targets);
  const authenticate = createAuthenticator(config.auth, { logger });
  const audit = createAuditLog({ logger, ...(config.audit.file ? { file: config.audit.file } : {}) });
  const trust = createProxyTrust(config.trustProxy);
  const sessions = new SessionRegistry<ConsoleSession>(config.console);
  let shuttingDown = false;

  const app = express();
  const server = createServer({ connectionsCheckingInterval: connectionsCheckingInterval(config) }, app);
  const hosts = allowedHosts(config, server);
  const ctx: RouteContext = {
    config,
    targets,
    sessions,
    authenticate,
    trust,
    metrics,
    logger,
    sessionCount: () => sessions.size,
    shuttingDown: () => shuttingDown,
  };

  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders(trust));
  app.get('/healthz', healthRoute(ctx));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (hostAllowed(req, hosts)) return next();
    sendError(res, {
      status: 421,
      code: 'host_not_allowed',
      message: 'this server does not answer that Host',
    });
  });
  app.use(apiRoutes(ctx));
  app.use(webRoutes(options.webRoot ?? config.webRoot ?? DEFAULT_WEB_ROOT));
  app.use((_req: Request, res: Response) =>
    sendError(res, { status: 404, code: 'not_found', message: 'not found' }),
  );
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  });

  const headersDone = guardHeaderPhase(server, config);
  const upgrade = createUpgradeHandler({
    config,
    targets,
    sessions,
    authenticate,
    trust,
    hosts,
    metrics,
    logger,
    audit,
    pool: new BufferPool(config.console.flushBytes, 64),
    shuttingDown: () => shuttingDown,
    ...(options.wrapCredentials ? { wrapCredentials: options.wrapCredentials } : {}),
  });
  server.on('upgrade', (req, socket, head: Buffer) => {
    headersDone(socket);
    upgrade.handle(req, socket, head);
  });

  let metricsServer: Server | undefined;
  if (config.metrics.listen) {
    const metricsApp = express();
    metricsApp.disable('x-powered-by');
    metricsApp.get('/metrics', metricsRoute(metrics));
    metricsServer = createServer(metricsApp);
  }

  return {
    config,
    app,
    server,
    metricsServer,
    metrics,
    logger,
    sessions,
    async shutdown(graceMs = 4000) {
      shuttingDown = true;
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      await sessions.shutdown(graceMs);
      server.closeAllConnections();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      await Promise.race([closing, new Promise((r) => setTimeout(r, 500).unref())]);
      upgrade.close();
      targets.close();
      audit.close();
    },
  };
}
