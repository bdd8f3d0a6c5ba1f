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
const MAX_URL_LENGTH = 4096;

export interface ConsoleRequest {
  readonly principal: Principal;
  readonly target: ResolvedTarget;
  readonly cols: number;
  readonly rows: number;
  readonly flowAck: boolean;
}

export interface Refusal {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly message: string;
}

export type Decision =
  { readonly ok: true; readonly request: ConsoleRequest } | { readonly ok: false; readonly refusal: Refusal };

const refuse = (status: number, code: HttpErrorCode, message: string): Decision => ({
  ok: false,
  refusal: { status, code, message },
});

function dimension(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback;
  if (!/^\d{1,4}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= MAX_DIMENSION ? n : undefined;
}

export interface DecideOptions {
  readonly config: Config;
  readonly targets: Pick<TargetRegistry, 'get'>;
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

/** Decides a console request. Order matters: nothing about targets is revealed before Origin and auth pass. */
export async function decideConsoleRequest(req: IncomingMessage, options: DecideOptions): Promise<Decision> {
  const rawUrl = req.url ?? '/';
  if (rawUrl.length > MAX_URL_LENGTH) return refuse(414, 'bad_request', 'URL too long');
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://termrelay.invalid');
  } catch {
    return refuse(400, 'bad_request', 'malformed URL');
  }
  const match = CONSOLE_PATH.exec(url.pathname);
  if (!match) return refuse(404, 'not_found', 'no such endpoint');

  const originRefusal = checkOrigin(req, options);
  if (originRefusal) return { ok: false, refusal: originRefusal };
  const auth = await options.authenticate(req);
  if (!auth.ok) return refuse(401, 'unauthorized', auth.message);

  let id: string;
  try {
    id = decodeURIComponent(match[1] ?? '');
  } catch {
    return refuse(404, 'target_not_found', 'no such target');
  }
  const target = options.targets.get(id);
  if (!target) return refuse(404, 'target_not_found', 'no such target');
  if (!mayOpen(auth.principal, target.config)) {
    return refuse(403, 'target_forbidden', `${auth.principal.id} may not open this target`);
  }

  const cols = dimension(url.searchParams.get('cols'), 80);
  const rows = dimension(url.searchParams.get('rows'), 24);
  if (cols === undefined || rows === undefined) {
    return refuse(400, 'bad_request', `cols and rows must be integers from 1 to ${MAX_DIMENSION}`);
  }
  const flow = url.searchParams.get('flow');
  if (flow !== null && flow !== 'ack') return refuse(400, 'bad_request', 'flow must be "ack" when given');
  return { ok: true, request: { principal: auth.principal, target, cols, rows, flowAck: flow === 'ack' } };
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
