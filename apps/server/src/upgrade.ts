// Who gets a console, decided before any WebSocket handshake: the path, the Origin, who is asking, the
// target and whether they may open it, the size and the flow mode. Refusals are plain HTTP responses with a JSON body, written on the
// raw socket (browsers cannot read them, so the web app asks the same URL over fetch to learn why).
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_DIMENSION, type HttpErrorBody, type HttpErrorCode } from '@termrelay/protocol';
import { mayOpen } from './access.js';
import type { Authenticator, Principal } from './auth.js';
import type { Config } from './config.js';
import type { ResolvedTarget, TargetRegistry } from './targets.js';

export const CONSOLE_PATH = /^\/api\/targets\/([^/]+)\/console$/;
export const RESUME_PATH = /^\/api\/sessions\/([^/]+)\/console$/;
export const WATCH_PATH = /^\/api\/sessions\/([^/]+)\/watch$/;
const MAX_URL_LENGTH = 4096;

/** A new console on a target. */
export interface ConsoleRequest {
  readonly kind: 'new';
  readonly principal: Principal;
  readonly target: ResolvedTarget;
  readonly cols: number;
  readonly rows: number;
  readonly flowAck: boolean;
}

/** What a resume needs to know of a held session. */
export interface ResumableCandidate {
  readonly principalId: string;
  tokenMatches(token: string): boolean;
  /** The output offset a resume may ask for at most. */
  readonly outputEnd: number;
  /** Whether `key` is a watch key of the session that still lets watchers in. */
  keyMatches(key: string): boolean;
  /** Watchers attached now. */
  readonly watcherCount: number;
}

/** A resume of a held session from an output offset. */
export interface ResumeRequest<S extends ResumableCandidate = ResumableCandidate> {
  readonly kind: 'resume';
  readonly principal: Principal;
  readonly session: S;
  readonly token: string;
  readonly offset: number;
  readonly cols: number;
  readonly rows: number;
  readonly flowAck: boolean;
}

/** A read-only watcher of a shared session. */
export interface WatchRequest<S extends ResumableCandidate = ResumableCandidate> {
  readonly kind: 'watch';
  readonly principal: Principal;
  readonly session: S;
  readonly key: string;
}

export interface Refusal {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly message: string;
}

export type Decision<S extends ResumableCandidate = ResumableCandidate> =
  | { readonly ok: true; readonly request: ConsoleRequest | ResumeRequest<S> | WatchRequest<S> }
  | { readonly ok: false; readonly refusal: Refusal };

const refuse = (status: number, code: HttpErrorCode, message: string): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: { status, code, message },
});

function dimension(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback;
  if (!/^\d{1,4}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= MAX_DIMENSION ? n : undefined;
}

export interface DecideOptions<S extends ResumableCandidate = ResumableCandidate> {
  readonly config: Config;
  readonly targets: Pick<TargetRegistry, 'get'>;
  /** The sessions a resume may reach. */
  readonly sessions?: { get(id: string): S | undefined };
  readonly authenticate: Authenticator;
  /** For plain HTTP checks: the origin to assume when a same-origin browser request carries none. */
  readonly sameOriginFallback?: boolean;
  /** Whether the request reached us over TLS (for the same-origin fallback's scheme). */
  readonly isHttps?: (req: IncomingMessage) => boolean;
}

function requestOrigin(req: IncomingMessage, options: DecideOptions): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) return origin;
  // Browsers send no Origin on same-origin GET requests; Sec-Fetch-Site says so, and Host is that origin.
  if (options.sameOriginFallback && req.headers['sec-fetch-site'] === 'same-origin' && req.headers.host) {
    return `${options.isHttps?.(req) ? 'https' : 'http'}://${req.headers.host}`;
  }
  return undefined;
}

/** The Origin check every console request passes first. */
export function checkOrigin(req: IncomingMessage, options: DecideOptions): Refusal | undefined {
  const origin = requestOrigin(req, options);
  if (origin !== undefined && options.config.publicOrigins.includes(origin)) return undefined;
  return {
    status: 403,
    code: 'origin_not_allowed',
    message: origin ? `origin ${origin} is not allowed` : 'an Origin header is required',
  };
}

/**
 * Decides a console request: a new console (`/api/targets/:id/console`) or a resume
 * (`/api/sessions/:session/console?resume=T&offset=N`). Order matters: nothing about targets or sessions
 * is revealed before Origin and auth pass. A resume checks, in order: session (404), token and principal
 * (403), offset (400), size (400). A watch (`/api/sessions/:session/watch?key=K`) checks session (404),
 * key (403 watch_denied) and the number of watchers (503).
 */
export async function decideConsoleRequest<S extends ResumableCandidate>(
  req: IncomingMessage,
  options: DecideOptions<S>,
): Promise<Decision<S>> {
  const rawUrl = req.url ?? '/';
  if (rawUrl.length > MAX_URL_LENGTH) return refuse(414, 'bad_request', 'URL too long');
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://termrelay.invalid');
  } catch {
    return refuse(400, 'bad_request', 'malformed URL');
  }
  const match = CONSOLE_PATH.exec(url.pathname);
  const resume = match ? undefined : RESUME_PATH.exec(url.pathname);
  const watch = match || resume ? undefined : WATCH_PATH.exec(url.pathname);
  if (!match && !resume && !watch) return refuse(404, 'not_found', 'no such endpoint');

  const originRefusal = checkOrigin(req, options);
  if (originRefusal) return { ok: false, refusal: originRefusal };
  const auth = await options.authenticate(req);
  if (!auth.ok) return refuse(401, 'unauthorized', auth.message);
  const principal = auth.principal;

  const id = decodeSegment((match ?? resume ?? watch)?.[1]);
  if (watch) {
    const session = id === undefined ? undefined : options.sessions?.get(id);
    if (!session) return refuse(404, 'session_not_found', 'no such session: it ended, expired or never was');
    const key = url.searchParams.get('key') ?? '';
    if (!session.keyMatches(key))
      return refuse(403, 'watch_denied', 'this watch link was revoked, expired or never was');
    if (session.watcherCount >= options.config.console.maxWatchers)
      return refuse(503, 'too_many_watchers', 'this console has as many watchers as it may');
    return { ok: true, request: { kind: 'watch', principal, session, key } };
  }
  if (resume) {
    const session = id === undefined ? undefined : options.sessions?.get(id);
    if (!session) return refuse(404, 'session_not_found', 'no such session: it ended, expired or never was');
    const token = url.searchParams.get('resume') ?? '';
    // The token works once and only for whoever opened the session.
    if (!session.tokenMatches(token) || session.principalId !== principal.id) {
      return refuse(403, 'resume_denied', 'this session cannot be resumed with that token');
    }
    const offsetText = url.searchParams.get('offset');
    const offset = offsetText !== null && /^\d{1,15}$/.test(offsetText) ? Number(offsetText) : undefined;
    if (offset === undefined || offset > session.outputEnd) {
      return refuse(
        400,
        'bad_request',
        'offset must be an integer no larger than the output the session produced',
      );
    }
    const size = parseSize(url);
    if ('refusal' in size) return size;
    const flow = parseFlow(url);
    if (typeof flow !== 'boolean') return flow;
    return {
      ok: true,
      request: { kind: 'resume', principal, session, token, offset, ...size, flowAck: flow },
    };
  }

  const target = id === undefined ? undefined : options.targets.get(id);
  if (!target) return refuse(404, 'target_not_found', 'no such target');
  if (!mayOpen(principal, target.config)) {
    return refuse(403, 'target_forbidden', `${principal.id} may not open this target`);
  }
  const size = parseSize(url);
  if ('refusal' in size) return size;
  const flow = parseFlow(url);
  if (typeof flow !== 'boolean') return flow;
  return { ok: true, request: { kind: 'new', principal, target, ...size, flowAck: flow } };
}

function decodeSegment(segment: string | undefined): string | undefined {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    return undefined;
  }
}

function parseSize(url: URL): { cols: number; rows: number } | { ok: false; refusal: Refusal } {
  const cols = dimension(url.searchParams.get('cols'), 80);
  const rows = dimension(url.searchParams.get('rows'), 24);
  if (cols === undefined || rows === undefined) {
    return refuse(400, 'bad_request', `cols and rows must be integers from 1 to ${MAX_DIMENSION}`);
  }
  return { cols, rows };
}

function parseFlow(url: URL): boolean | { ok: false; refusal: Refusal } {
  const flow = url.searchParams.get('flow');
  if (flow !== null && flow !== 'ack') return refuse(400, 'bad_request', 'flow must be "ack" when given');
  return flow === 'ack';
}

export function errorBody(refusal: Pick<Refusal, 'code' | 'message'>): HttpErrorBody {
  return { error: { code: refusal.code, message: refusal.message } };
}

/** Answers an upgrade request with a plain HTTP error and closes the socket (as ws's abortHandshake does). */
export function writeRefusal(socket: Duplex, refusal: Refusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(refusal));
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
