// What every HTTP request and connection goes through before any route: response headers that lock the
// page down, the Host check that defeats DNS rebinding, and the guards of the header phase (slowloris,
// garbage instead of HTTP). Nothing here knows about consoles.
import type { IncomingMessage, Server } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import type { ProxyTrust } from './client-address.js';
import type { Config } from './config.js';

const CSP_DIRECTIVES = [
  "default-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];
const CSP = CSP_DIRECTIVES.join('; ');
/**
 * The recordings page's player (asciinema-player) runs its terminal emulator as WebAssembly, compiled
 * from bytes inside its script. `'wasm-unsafe-eval'` lets WebAssembly compile and nothing else (no JS
 * eval, no workers, no blob: or data: scripts); only that page gets it.
 */
const PLAYER_CSP = [...CSP_DIRECTIVES, "script-src 'self' 'wasm-unsafe-eval'"].join('; ');
const PLAYER_PAGES = new Set(['/recordings', '/recordings.html']);

export function securityHeaders(trust: ProxyTrust) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', PLAYER_PAGES.has(req.path) ? PLAYER_CSP : CSP);
    if (trust.isHttps(req)) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  };
}

/**
 * The Host headers this server answers: the hosts of `publicOrigins`, and the address it listens on
 * (read once listening, so port 0 works). A page on another name that resolves to us (DNS rebinding)
 * gets nothing.
 */
export function allowedHosts(config: Config, server: Server): () => ReadonlySet<string> {
  const fromOrigins = config.publicOrigins.map((origin) => new URL(origin).host.toLowerCase());
  let cached: Set<string> | undefined;
  return () => {
    if (cached) return cached;
    const hosts = new Set(fromOrigins);
    const address = server.address();
    if (address && typeof address === 'object') {
      const host = config.listen.host;
      const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
      if (!wildcard) {
        const name = isIP(host) === 6 ? `[${host}]` : host.toLowerCase();
        hosts.add(`${name}:${address.port}`);
        if (address.port === 80) hosts.add(name);
      }
      cached = hosts;
    }
    return hosts;
  };
}

export function hostAllowed(req: IncomingMessage, hosts: () => ReadonlySet<string>): boolean {
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && hosts().has(host);
}

/**
 * Guards the header phase: each connection must finish its first request's headers within
 * `headersTimeoutMs` (Node's own check stops dropping half-sent requests once the server holds an upgraded
 * WebSocket, which a console server always does), and garbage gets a 400 and a closed connection, never a
 * crash. Returns `headersDone`, which the upgrade handler calls too.
 */
export function guardHeaderPhase(server: Server, config: Config): (socket: Duplex) => void {
  server.headersTimeout = config.http.headersTimeoutMs;
  server.requestTimeout = config.http.requestTimeoutMs;
  const deadlines = new WeakMap<Duplex, NodeJS.Timeout>();
  const headersDone = (socket: Duplex) => {
    clearTimeout(deadlines.get(socket));
    deadlines.delete(socket);
  };
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => socket.destroy(), config.http.headersTimeoutMs);
    timer.unref();
    deadlines.set(socket, timer);
    socket.once('close', () => headersDone(socket));
  });
  server.on('request', (req: IncomingMessage) => headersDone(req.socket));
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n\r\n`,
      );
    }
    socket.destroy();
  });
  return headersDone;
}

/** Node checks header and request timeouts only every this often: four times per headersTimeoutMs. */
export function connectionsCheckingInterval(config: Config): number {
  return Math.max(250, Math.floor(config.http.headersTimeoutMs / 4));
}
