// Builds the server without starting it: the Express app, the HTTP server, the upgrade handler and the
// session registry. main.ts listens; tests build one per suite on a free port.
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WebSocketServer } from 'ws';
import type { CredentialProvider } from '@termrelay/relay-core';
import { createAuthenticator } from './auth.js';
import { BufferPool } from './buffer-pool.js';
import type { Config, TargetConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createTargetRegistry, publicTargets } from './targets.js';
import { decideConsoleRequest, errorBody, writeRefusal, type Refusal } from './upgrade.js';
import { runConsole, type ConsoleHandle } from './ws-console.js';

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
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Live consoles. */
  readonly sessions: ReadonlySet<ConsoleHandle>;
  /** Stops accepting, closes every console with 1001 and resolves when all are closed or `graceMs` passed. */
  shutdown(graceMs?: number): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The web app's build, beside the server in this repository. */
export const DEFAULT_WEB_ROOT = resolve(here, '../../web/dist');

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  );
  next();
}

export function createApp(config: Config, options: AppOptions = {}): TermrelayApp {
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = options.metrics ?? createMetrics();
  const targets = new Map<string, TargetConfig>(config.targets.map((t) => [t.id, t]));
  const registry = createTargetRegistry(config.targets);
  const authenticate = createAuthenticator(config.auth);
  const sessions = new Set<ConsoleHandle>();
  const pool = new BufferPool(config.console.flushBytes, 64);
  let shuttingDown = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.console.maxInputFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    // ws >= 8.19 waits this long for the peer's close frame (30 s by default); @types/ws lags behind.
    ...{ closeTimeout: config.console.closeTimeoutMs },
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders);

  const sendError = (res: Response, refusal: Refusal) => res.status(refusal.status).json(errorBody(refusal));

  app.get('/healthz', (_req, res) => {
    if (shuttingDown) res.status(503).json({ status: 'shutting-down' });
    else res.json({ status: 'ok', sessions: sessions.size });
  });
  app.get('/metrics', (_req, res, next) => {
    metrics.registry
      .metrics()
      .then((text) => res.type(metrics.registry.contentType).send(text))
      .catch(next);
  });
  app.get('/api/targets', (req, res) => {
    const url = new URL(req.originalUrl, 'http://termrelay.invalid');
    if (!authenticate(req, url))
      return sendError(res, { status: 401, code: 'unauthorized', message: 'a valid token is required' });
    res.json(publicTargets(config.targets));
  });
  // The same checks as the upgrade, answered over plain HTTP so a browser can read why it was refused.
  app.get('/api/targets/:id/console', (req, res) => {
    const decision = decideConsoleRequest(req, { config, targets, authenticate, sameOriginFallback: true });
    if (!decision.ok) return sendError(res, decision.refusal);
    sendError(res, { status: 426, code: 'upgrade_required', message: 'open this URL as a WebSocket' });
  });
  app.use('/api', (_req, res) =>
    sendError(res, { status: 404, code: 'not_found', message: 'no such endpoint' }),
  );

  const webRoot = options.webRoot ?? config.webRoot ?? DEFAULT_WEB_ROOT;
  if (existsSync(join(webRoot, 'index.html'))) {
    app.use(express.static(webRoot, { index: 'index.html', maxAge: '1h', setHeaders: noCacheForIndex }));
  } else {
    app.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send(
          `termrelay is running, but the web app is not built (looked in ${webRoot}). Run: npm run build\n`,
        );
    });
  }
  app.use((_req: Request, res: Response) => {
    sendError(res, { status: 404, code: 'not_found', message: 'not found' });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  });

  // Node checks header and request timeouts only every connectionsCheckingInterval (30 s by default):
  // check four times per headersTimeoutMs so a half-sent request is dropped close to its deadline.
  const server = createServer(
    { connectionsCheckingInterval: Math.max(250, Math.floor(config.http.headersTimeoutMs / 4)) },
    app,
  );
  server.headersTimeout = config.http.headersTimeoutMs;
  // Our own guard for the header phase: Node's check above stops dropping half-sent requests once the
  // server holds an upgraded WebSocket, which a console server always does. Each connection must finish
  // its first request's headers within headersTimeoutMs, or it is dropped.
  const headerDeadlines = new WeakMap<Duplex, NodeJS.Timeout>();
  const headersDone = (socket: Duplex) => {
    clearTimeout(headerDeadlines.get(socket));
    headerDeadlines.delete(socket);
  };
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => socket.destroy(), config.http.headersTimeoutMs);
    timer.unref();
    headerDeadlines.set(socket, timer);
    socket.once('close', () => headersDone(socket));
  });
  server.on('request', (req: IncomingMessage) => headersDone(req.socket));
  server.requestTimeout = config.http.requestTimeoutMs;
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // Garbage instead of an HTTP request, or headers too slow (slowloris): answer if we still can, then
    // drop the connection, as Node does by default. Never crash.
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n\r\n`,
      );
    }
    socket.destroy();
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    headersDone(socket);
    socket.on('error', () => {});
    const refuse = (refusal: Refusal) => {
      metrics.upgradesRefused.inc({ code: refusal.code });
      writeRefusal(socket, refusal);
    };
    if (shuttingDown) return refuse({ status: 503, code: 'shutting_down', message: 'server shutting down' });
    const decision = decideConsoleRequest(req, { config, targets, authenticate });
    if (!decision.ok) return refuse(decision.refusal);
    if (sessions.size >= config.console.maxSessions) {
      return refuse({
        status: 503,
        code: 'too_many_sessions',
        message: 'too many open consoles; try again later',
      });
    }
    const { target, cols, rows, flowAck } = decision.request;
    const resolved = registry.get(target.id);
    if (!resolved) return refuse({ status: 404, code: 'target_not_found', message: 'no such target' });
    wss.handleUpgrade(req, socket, head, (ws) => {
      const handle = runConsole(ws, {
        targetId: target.id,
        target: options.wrapCredentials
          ? { ...resolved.relay, credentials: options.wrapCredentials(resolved.relay.credentials, target.id) }
          : resolved.relay,
        env: resolved.env,
        cols,
        rows,
        flowAck,
        config: config.console,
        metrics,
        logger,
        pool,
      });
      sessions.add(handle);
      void handle.closed.then(() => sessions.delete(handle));
    });
  });

  return {
    config,
    app,
    server,
    metrics,
    logger,
    sessions,
    async shutdown(graceMs = 4000) {
      shuttingDown = true;
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.shutdown();
      const all = Promise.all([...sessions].map((s) => s.closed));
      await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
      server.closeAllConnections();
      await Promise.race([closing, new Promise((r) => setTimeout(r, 500).unref())]);
      wss.close();
      registry.close();
    },
  };
}

function noCacheForIndex(res: Response, path: string): void {
  if (path.endsWith('index.html')) res.setHeader('Cache-Control', 'no-cache');
}
