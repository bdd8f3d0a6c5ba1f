// The plain HTTP routes: health for balancers, metrics for Prometheus, the token exchange that puts a
// static token into an HttpOnly cookie, the target list, the console URL's plain-GET mirror (so a browser
// can read why an upgrade was refused), and the web app. Every refusal is a JSON error body.
import { createReadStream, existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { visibleTargets } from './access.js';
import { cookieValue, TOKEN_COOKIE, type Authenticator } from './auth.js';
import type { ProxyTrust } from './client-address.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { listRecordings, readRecordingInfo, recordingPath } from './recording-store.js';
import { publicTargets, type TargetRegistry } from './targets.js';
import {
  checkOrigin,
  decideConsoleRequest,
  errorBody,
  type Refusal,
  type ResumableCandidate,
} from './upgrade.js';

export interface RouteContext {
  readonly config: Config;
  readonly targets: TargetRegistry;
  /** The sessions a resume may reach. */
  readonly sessions: { get(id: string): ResumableCandidate | undefined };
  readonly authenticate: Authenticator;
  readonly trust: ProxyTrust;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Sessions held now, attached or not. */
  readonly sessionCount: () => number;
  readonly shuttingDown: () => boolean;
}

export const sendError = (res: Response, refusal: Refusal) =>
  res.status(refusal.status).json(errorBody(refusal));

const UNAUTHORIZED: Refusal = { status: 401, code: 'unauthorized', message: 'a valid token is required' };

/** Health for balancers: exempt from the Host check, since they probe by address. Reveals only a count. */
export function healthRoute(ctx: RouteContext) {
  return (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    if (ctx.shuttingDown()) res.status(503).json({ status: 'shutting-down', sessions: ctx.sessionCount() });
    else res.json({ status: 'ok', sessions: ctx.sessionCount() });
  };
}

/** Prometheus text; the caller decides where it is mounted and behind what. */
export function metricsRoute(metrics: Metrics) {
  return (_req: Request, res: Response, next: NextFunction) => {
    metrics.registry
      .metrics()
      .then((text) => res.type(metrics.registry.contentType).send(text))
      .catch(next);
  };
}

function sessionCookie(token: string, secure: boolean, maxAge?: number): string {
  return [
    `${TOKEN_COOKIE}=${encodeURIComponent(token)}`,
    'Path=/api',
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
    ...(maxAge !== undefined ? [`Max-Age=${maxAge}`] : []),
  ].join('; ');
}

export function apiRoutes(ctx: RouteContext): Router {
  const router = express.Router();
  const { config } = ctx;
  const decideOptions = {
    config,
    targets: ctx.targets,
    sessions: ctx.sessions,
    authenticate: ctx.authenticate,
    isHttps: (req: IncomingMessage) => ctx.trust.isHttps(req),
  };

  if (!config.metrics.listen) {
    router.get('/metrics', async (req, res, next) => {
      // Same auth as the API: byte counters show keystroke timing. Prometheus sends a bearer token.
      if (!(await ctx.authenticate(req)).ok) return sendError(res, UNAUTHORIZED);
      metricsRoute(ctx.metrics)(req, res, next);
    });
  }

  // Exchange a token (Authorization: Bearer) for an HttpOnly cookie, so it leaves the address bar and
  // never rides on a WebSocket URL. Cross-site pages cannot call it: Origin must be ours.
  router.post('/api/session', async (req, res) => {
    const originRefusal = checkOrigin(req, decideOptions);
    if (originRefusal) return sendError(res, originRefusal);
    const auth = await ctx.authenticate(req);
    if (!auth.ok) return sendError(res, { ...UNAUTHORIZED, message: auth.message });
    const token = req.headers.authorization?.slice('Bearer '.length).trim();
    if (config.auth.mode === 'token' && token) {
      res.setHeader('Set-Cookie', sessionCookie(token, ctx.trust.isHttps(req)));
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ principal: auth.principal.id });
  });
  router.delete('/api/session', (req, res) => {
    const originRefusal = checkOrigin(req, decideOptions);
    if (originRefusal) return sendError(res, originRefusal);
    if (cookieValue(req.headers.cookie, TOKEN_COOKIE) !== undefined)
      res.setHeader('Set-Cookie', sessionCookie('', ctx.trust.isHttps(req), 0));
    res.status(204).end();
  });

  // Only what this principal may open: a target it cannot open is not offered.
  router.get('/api/targets', async (req, res) => {
    const auth = await ctx.authenticate(req);
    if (!auth.ok) return sendError(res, { ...UNAUTHORIZED, message: auth.message });
    res.setHeader('Cache-Control', 'no-store');
    res.json(publicTargets(visibleTargets(auth.principal, config.targets)));
  });
  // Recordings: a principal sees only its own, except under auth "none" where everyone is the same nobody.
  const recordingsDir = config.recording?.dir;
  const NO_RECORDING: Refusal = { status: 404, code: 'recording_not_found', message: 'no such recording' };
  router.get('/api/recordings', async (req, res) => {
    const auth = await ctx.authenticate(req);
    if (!auth.ok) return sendError(res, UNAUTHORIZED);
    const all = recordingsDir ? await listRecordings(recordingsDir) : [];
    const { principal } = auth;
    res.setHeader('Cache-Control', 'no-store');
    res.json(
      all
        .filter((r) => !principal.authenticated || r.principal === principal.id)
        .map(({ session, target, started, duration, bytes }) => ({
          session,
          target,
          started,
          duration,
          bytes,
        })),
    );
  });
  router.get('/api/recordings/:session', async (req, res) => {
    const auth = await ctx.authenticate(req);
    if (!auth.ok) return sendError(res, UNAUTHORIZED);
    const id = req.params.session;
    // The id becomes a file name only once it is known to be a session id (no dots but the one, no slashes).
    const path = recordingsDir ? recordingPath(recordingsDir, id) : undefined;
    const info = path && recordingsDir ? await readRecordingInfo(recordingsDir, id) : undefined;
    if (!path || !info || (auth.principal.authenticated && info.principal !== auth.principal.id))
      return sendError(res, NO_RECORDING);
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/x-asciicast');
    const stream = createReadStream(path);
    stream.on('error', () => (res.headersSent ? res.destroy() : sendError(res, NO_RECORDING)));
    stream.pipe(res);
  });

  // The same checks as the upgrade, answered over plain HTTP so a browser can read why it was refused.
  router.get(
    ['/api/targets/:id/console', '/api/sessions/:id/console', '/api/sessions/:id/watch'],
    async (req, res) => {
      const decision = await decideConsoleRequest(req, { ...decideOptions, sameOriginFallback: true });
      if (!decision.ok) return sendError(res, decision.refusal);
      sendError(res, { status: 426, code: 'upgrade_required', message: 'open this URL as a WebSocket' });
    },
  );
  router.use('/api', (_req, res) =>
    sendError(res, { status: 404, code: 'not_found', message: 'no such endpoint' }),
  );
  return router;
}

export function webRoutes(webRoot: string): Router {
  const router = express.Router();
  if (existsSync(join(webRoot, 'index.html'))) {
    router.use(
      express.static(webRoot, {
        index: 'index.html',
        // /watch and /recordings are watch.html and recordings.html.
        extensions: ['html'],
        maxAge: '1h',
        setHeaders: noCacheForIndex,
      }),
    );
  } else {
    router.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send(
          `termrelay is running, but the web app is not built (looked in ${webRoot}). Run: npm run build\n`,
        );
    });
  }
  return router;
}

function noCacheForIndex(res: Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}
