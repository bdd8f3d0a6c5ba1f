// The server's configuration: one schema with every default, validated at start-up. A bad config stops
// start-up with a message that names the key and what is wrong with it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';
import { describeJsonError, formatIssues } from './config-errors.js';
import { defaultNodeId, NODE_ID_PATTERN } from './session-id.js';

const fingerprint = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must be a SHA256 fingerprint as `ssh-keygen -l` prints it');

/** How to log in and how to trust a host: shared by targets and their jump hosts. */
const endpointShape = {
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1),
  privateKeyPath: z.string().min(1).optional(),
  passphrase: z.string().optional(),
  password: z.string().optional(),
  hostKeyFingerprints: z.array(fingerprint).min(1).optional(),
  knownHostsPath: z.string().min(1).optional(),
};

function refineEndpoint(
  value: {
    privateKeyPath?: string;
    password?: string;
    hostKeyFingerprints?: string[];
    knownHostsPath?: string;
  },
  ctx: z.RefinementCtx,
): void {
  if ((value.privateKeyPath === undefined) === (value.password === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give exactly one of privateKeyPath or password' });
  }
  if ((value.hostKeyFingerprints === undefined) === (value.knownHostsPath === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'give exactly one of hostKeyFingerprints or knownHostsPath: host keys are always verified',
    });
  }
}

const sshEndpoint = z.object(endpointShape).strict().superRefine(refineEndpoint);

const targetId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dots, dashes or underscores');

/**
 * Who may open a target: principal ids (a ticket's `sub`, the proxy's user, `token-…` for a static token)
 * and `group:NAME` for members of a group. The default (absent) is everyone who is authenticated.
 */
const allowList = z
  .array(z.string().min(1).max(256).regex(/^\S+$/, 'must not contain whitespace'))
  .min(1, 'list at least one principal or group, or leave allow out to let everyone in')
  .optional();

const sshTarget = z
  .object({
    id: targetId,
    label: z.string().min(1).max(200),
    kind: z.literal('ssh').default('ssh'),
    ...endpointShape,
    jump: sshEndpoint.optional(),
    /** Whether this target's sessions are recorded; overrides whether `recording` is configured. */
    record: z.boolean().optional(),
    /**
     * Environment sent with the shell request (the target's AcceptEnv decides what it takes). The default
     * tells the remote that the terminal is UTF-8, as OpenSSH's `SendEnv LANG` would.
     */
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
        z.string(),
      )
      .default({ LANG: 'C.UTF-8' }),
    allow: allowList,
  })
  .strict()
  .superRefine(refineEndpoint);

/** A shell on the machine running termrelay, through the in-process SSH server (no port is opened). */
const localTarget = z
  .object({
    id: targetId,
    label: z.string().min(1).max(200),
    kind: z.literal('local'),
    /** The default is $SHELL, else /bin/bash, else /bin/sh. */
    shell: z.string().min(1).optional(),
    /** The default is ['-l']: a login shell, as sshd starts. */
    args: z.array(z.string()).optional(),
    /** The default is the home directory of the user running termrelay. */
    cwd: z.string().min(1).optional(),
    /** Extra environment for the shell. */
    env: z.record(z.string(), z.string()).default({ LANG: 'C.UTF-8' }),
    allow: allowList,
    /** Whether this target's sessions are recorded; overrides whether `recording` is configured. */
    record: z.boolean().optional(),
  })
  .strict();

const target = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !('kind' in value) ? { ...value, kind: 'ssh' } : value,
  z.discriminatedUnion('kind', [sshTarget, localTarget]),
);

const positiveMs = z.number().int().positive();

/** An http(s) origin, normalised with the URL parser; paths, wildcards and other schemes are refused. */
const origin = z.string().transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const problem = !url
    ? 'must be an origin such as https://console.example.com'
    : url.protocol !== 'http:' && url.protocol !== 'https:'
      ? `must be http or https, got ${url.protocol}`
      : value.includes('*')
        ? 'wildcards are not supported: list each origin'
        : url.username || url.password
          ? 'must not contain credentials'
          : (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash
            ? 'must be an origin without a path, query or fragment'
            : undefined;
  if (problem || !url) {
    ctx.addIssue({ code: 'custom', message: `${problem ?? 'invalid'} (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }
  return url.origin;
});

/** An IPv4 or IPv6 address, or a CIDR range of either. */
const cidr = z.string().refine((value) => parseCidr(value) !== undefined, {
  message: 'must be an IP address or CIDR range such as 10.0.0.0/8',
});

export function parseCidr(
  value: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = value.split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** An HTTP header name, stored lower-case as Node reports headers. */
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name such as X-Forwarded-User')
  .transform((value) => value.toLowerCase());

/** Where a JWKS is fetched: https, or http on loopback only (a JWKS over plain HTTP can be swapped). */
const jwksUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      if (url.protocol === 'https:') return true;
      return url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''));
    } catch {
      return false;
    }
  },
  { message: 'must be an https URL (http only on a loopback address)' },
);

const tokenAuth = z
  .object({
    mode: z.literal('token'),
    tokens: z
      .array(
        z
          .string()
          .min(16, 'tokens must be at least 16 characters')
          .max(4096)
          .regex(/^\S+$/, 'tokens must not contain whitespace'),
      )
      .min(1),
  })
  .strict();

/** Tickets: short-lived JWTs signed by the platform that embeds the console. */
export const jwtAuthSchema = z
  .object({
    mode: z.literal('jwt'),
    /** The `aud` every ticket must carry. The default is "termrelay". */
    audience: z.string().min(1).default('termrelay'),
    /** When set, the `iss` every ticket must carry. The default is not to check `iss`. */
    issuer: z.string().min(1).optional(),
    /** A file holding the HS256 shared secret (at least 32 bytes; a trailing newline is ignored). */
    secretFile: z.string().min(1).optional(),
    /** A file holding a JWKS of public keys (ES256, RS256 or EdDSA); read again on an unknown `kid`. */
    jwksFile: z.string().min(1).optional(),
    /** Where to fetch a JWKS of public keys; cached, and fetched again on an unknown `kid`. */
    jwksUrl: jwksUrl.optional(),
    /** A ticket's `exp` may be at most this far ahead, and its `iat` at most this far behind. The default is 300. */
    maxTicketAgeSec: z.number().int().min(1).max(86_400).default(300),
    /** Allowed clock difference with the issuer for `exp`, `nbf` and `iat`. The default is 30. */
    clockToleranceSec: z.number().int().min(0).max(300).default(30),
    /** How long fetched keys are used before they are fetched again. The default is 600. */
    jwksCacheSec: z.number().int().min(1).default(600),
    /** After a fetch (or file read), how long an unknown `kid` waits before another. The default is 30. */
    jwksCooldownSec: z.number().int().min(0).default(30),
    /** Deadline for fetching `jwksUrl`. The default is 5000. */
    jwksTimeoutMs: positiveMs.default(5000),
  })
  .strict()
  .superRefine((value, ctx) => {
    const given = [value.secretFile, value.jwksFile, value.jwksUrl].filter((v) => v !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of secretFile (HS256), jwksFile or jwksUrl (ES256, RS256, EdDSA)',
      });
    }
  });

/** Identity from an authenticating proxy in front (oauth2-proxy, Pomerium, a platform's gateway). */
const proxyAuth = z
  .object({
    mode: z.literal('proxy'),
    /** The header naming the user. The default is X-Forwarded-User. */
    userHeader: headerName.default('x-forwarded-user'),
    /** The header listing the user's groups, comma-separated. The default is X-Forwarded-Groups. */
    groupsHeader: headerName.default('x-forwarded-groups'),
    /** The proxies whose identity headers are believed; a request from anywhere else is 401. */
    trustedProxies: z.array(cidr).min(1, 'list the address or range of the proxy in front'),
  })
  .strict();

export const consoleSchema = z
  .object({
    /** Largest input WebSocket message (ws maxPayload), across fragments. */
    maxInputFrameBytes: z.number().int().min(1024).default(1_048_576),
    /** Output is coalesced into one frame per this window (the first chunk after a quiet window goes at once). */
    flushIntervalMs: z.number().int().min(0).default(8),
    /** A frame is sent as soon as this many output bytes are pending. */
    flushBytes: z.number().int().min(1024).default(65_536),
    /** Per-session output queue (pending + ws bufferedAmount); above it the SSH channel is paused. */
    outputBufferBytes: z.number().int().min(1024).default(1_048_576),
    /** A frame not written to the socket within this ends the session with 4005. */
    writeTimeoutMs: positiveMs.default(10_000),
    /** Deadline to reach the target (and again for the SSH handshake). */
    connectTimeoutMs: positiveMs.default(15_000),
    /** How often the client (WebSocket ping) and the target (SSH probe) are checked. */
    livenessIntervalMs: positiveMs.default(30_000),
    /** How long the SSH probe waits for its reply. */
    probeTimeoutMs: positiveMs.default(10_000),
    /** No input and no output for this long ends the session (4001); 0 disables. */
    idleTimeoutMs: z.number().int().min(0).default(1_800_000),
    /** Absolute session lifetime (4002); 0 disables. */
    maxLifetimeMs: z.number().int().min(0).default(43_200_000),
    /**
     * With `flow=ack`: unacknowledged output above this pauses the SSH channel; below half resumes it. It
     * bounds what a browser must still parse after Ctrl+C: 256 KiB is ~0.15 s for xterm.js on a slow machine,
     * and covers 5 MB/s at a 50 ms round trip.
     */
    clientWindowBytes: z.number().int().min(1024).default(262_144),
    /**
     * Output ssh2 may buffer ahead of the client. ssh2's own is its 2 MiB SSH window, which doubles what sits
     * between the remote program and the browser; smaller answers Ctrl+C sooner under a flood.
     */
    sshBufferBytes: z.number().int().min(1024).max(2_097_152).default(65_536),
    /**
     * The SSH window follows how fast the client consumes output (drain rate × round trip), within
     * [sshWindowMinBytes, sshWindowMaxBytes]; false keeps ssh2's fixed 2 MiB window.
     */
    sshWindowAdaptive: z.boolean().default(true),
    /** The smallest SSH window, and the one a shell opens with; it bounds what Ctrl+C must wait for. */
    sshWindowMinBytes: z.number().int().min(4096).max(1_048_576).default(65_536),
    /** The largest SSH window: what a fast client on a long link may have in flight. */
    sshWindowMaxBytes: z.number().int().min(4096).max(16_777_216).default(2_097_152),
    /**
     * The SSH window is at least what the client drains in this long: a fast client is never held back
     * by a round trip measured short on a busy machine, and what the window adds to Ctrl+C stays this long
     * at the client's own pace. 0 sizes it from the round trip alone.
     */
    sshWindowDrainMs: z.number().int().min(0).max(1000).default(25),
    /**
     * Output a session keeps for a client that comes back (a network drop, a reload). Nothing the client
     * may not have received is dropped: when this much is unconfirmed, the relay stops reading the SSH
     * channel and the remote program waits.
     */
    resumeBufferBytes: z.number().int().min(65_536).default(1_048_576),
    /**
     * Output the session takes from the SSH channel ahead of what the attached client has been sent. It sits
     * between the remote program and the browser like the SSH window does, so it adds to what Ctrl+C waits
     * for; the SSH window already keeps the channel busy, so a small read-ahead costs no throughput
     * (docs/performance.md).
     */
    readAheadBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    /**
     * How long a session whose WebSocket went away without ending it waits to be resumed, before it ends
     * with `detached-timeout`. 0 turns resume off: the session ends with its socket.
     */
    resumeGraceMs: z.number().int().min(0).default(300_000),
    /** Most concurrent console sessions, attached or waiting to be resumed; further upgrades get 503. */
    maxSessions: z.number().int().positive().default(1000),
    /**
     * Most concurrent sessions one client may hold: per principal (the token or identity), or per address
     * when auth is "none". Beyond it a console gets 429. 0 means unlimited; the docs recommend 10-20.
     */
    maxSessionsPerClient: z.number().int().min(0).default(0),
    /** Largest control (text) frame; a larger one closes the console with 1009 before it is parsed. */
    maxControlFrameBytes: z.number().int().min(256).max(65_536).default(4096),
    /**
     * Control messages a console may send per second (a burst of as many is allowed). Excess messages are
     * ignored and counted; a client that sends more than twice this for a second is closed with 1008.
     */
    controlMessagesPerSecond: z.number().int().min(10).default(1000),
    /** At most one SSH window-change per this interval; the latest size wins. 0 sends every resize. */
    resizeIntervalMs: z.number().int().min(0).default(50),
    /** After a close frame is sent, how long to wait for the client's before dropping the socket. */
    closeTimeoutMs: positiveMs.default(2000),
    /** How long a watch link made with `{"type":"share"}` lets new watchers in. */
    shareTtlMs: positiveMs.default(3_600_000),
    /** Most read-only watchers one session may have at once; further watchers get 503. */
    maxWatchers: z.number().int().min(0).default(10),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.sshWindowMaxBytes < value.sshWindowMinBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['sshWindowMaxBytes'],
        message: 'must be at least console.sshWindowMinBytes',
      });
    }
    if (value.outputBufferBytes < value.flushBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['outputBufferBytes'],
        message: 'must be at least console.flushBytes',
      });
    }
  });

export const configSchema = z
  .object({
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .strict()
      .prefault({}),
    /**
     * This node's name among several behind one balancer: every session id starts with it
     * (`<nodeId>.<random>`), so the balancer can route a request about a session to its node by URL alone.
     * 1-63 letters, digits, dashes or underscores; unique per node. The default is the host name up to its
     * first dot, with other characters turned into dashes.
     */
    nodeId: z
      .string()
      .regex(
        NODE_ID_PATTERN,
        'must be 1-63 letters, digits, dashes or underscores (no dot), starting with a letter or digit',
      )
      .default(() => defaultNodeId()),
    /**
     * Origins allowed to open a console, as `scheme://host[:port]` (http or https, no path, no wildcard);
     * stored normalised (`HTTPS://EX.COM:443/` is `https://ex.com`). Their hosts are also the `Host`
     * headers the server answers. The default is the listen address itself, and on loopback both
     * `http://localhost:PORT` and `http://127.0.0.1:PORT`.
     */
    publicOrigins: z.array(origin).optional(),
    /**
     * Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are
     * believed (for logs, per-client limits and HSTS). The default is none: the TCP peer is the client.
     */
    trustProxy: z.array(cidr).default([]),
    /**
     * Where Prometheus metrics are served. The default serves `/metrics` on the main port behind the same
     * auth as the API; with `listen`, they are served there instead (and never on the main port), without auth.
     */
    metrics: z
      .object({
        listen: z
          .object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535) })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Also allow the Vite dev server's origins (http://127.0.0.1:5173, http://localhost:5173). Development only. */
    devOrigins: z.boolean().default(false),
    auth: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('none') }).strict(),
        tokenAuth,
        jwtAuthSchema,
        proxyAuth,
      ])
      .default({ mode: 'none' }),
    audit: z
      .object({
        /** Also append audit lines to this file (created with mode 0600). The default is the log only. */
        file: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    targets: z.array(target).min(1, 'configure at least one target'),
    console: consoleSchema.prefault({}),
    /**
     * Session recordings as asciicast v2 files, one `<dir>/<session>.cast` per session. Absent: nothing is
     * recorded (unless a target says `record: true`, which then needs this for `dir`).
     */
    recording: z
      .object({
        /** Folder for the recordings; created (0700) when missing. */
        dir: z.string().min(1),
        /** Also record keystrokes as "i" events. Off by default: keystrokes include passwords. */
        input: z.boolean().default(false),
        /**
         * When true, a session whose recording cannot start is refused (503 `recording_unavailable`) and one
         * whose recording fails ends (4030). The default false lets the session go on, logged and counted.
         */
        required: z.boolean().default(false),
      })
      .strict()
      .optional(),
    http: z
      .object({
        /** A request whose headers are not complete by then is dropped (slowloris). */
        headersTimeoutMs: positiveMs.default(10_000),
        /** A whole HTTP request must be received within this. */
        requestTimeoutMs: positiveMs.default(30_000),
      })
      .strict()
      .prefault({}),
    /** Folder with the built web app to serve at `/`; the default is apps/web/dist beside the server. */
    webRoot: z.string().optional(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((value, ctx) => {
    const ids = new Set<string>();
    value.targets.forEach((t, i) => {
      if (ids.has(t.id))
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `duplicate id ${t.id}` });
      ids.add(t.id);
      if (t.allow && value.auth.mode === 'none') {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'allow'],
          message: 'allow needs to know who is asking: use auth mode "token", "jwt" or "proxy"',
        });
      }
    });
    value.targets.forEach((t, i) => {
      if (t.record && !value.recording)
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'record'],
          message: 'needs recording.dir to say where recordings go',
        });
    });
    if (value.auth.mode === 'none' && !isLoopback(value.listen.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'mode'],
        message: `"none" is only allowed when listen.host is a loopback address (got ${value.listen.host}); use token auth`,
      });
    }
  });

export type Config = z.infer<typeof configSchema> & {
  publicOrigins: string[];
  /**
   * Set when the server made up its own token because `auth.mode` was "none" with a local target (or came
   * from TERMRELAY_TOKEN): the token to print in the URL a person opens. Never logged.
   */
  startupToken?: string;
};
export type ConsoleConfig = z.infer<typeof consoleSchema>;
export type AuthConfig = z.infer<typeof configSchema>['auth'];
export type JwtAuthConfig = z.infer<typeof jwtAuthSchema>;
export type RecordingConfig = NonNullable<z.infer<typeof configSchema>['recording']>;
export type TargetConfig = z.infer<typeof target>;
export type SshTargetConfig = z.infer<typeof sshTarget>;
export type LocalTargetConfig = z.infer<typeof localTarget>;
export type EndpointConfig = z.infer<typeof sshEndpoint>;

/** The Vite dev server's origins, allowed with `devOrigins` / `--dev` only. */
export const DEV_ORIGINS = ['http://127.0.0.1:5173', 'http://localhost:5173'];

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function originOf(host: string, port: number): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/**
 * The origins a page served by this listen address can have. On loopback a person may type `localhost` or
 * `127.0.0.1` for the same server, so both are allowed; any other address is allowed as written.
 */
export function defaultOrigins(host: string, port: number): string[] {
  const origins = [originOf(host, port)];
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]') {
    origins.push(originOf('localhost', port));
    if (host !== '::1' && host !== '[::1]') origins.push(originOf('127.0.0.1', port));
  }
  return [...new Set(origins)];
}

/** Validates `raw` (parsed JSON) and applies env overrides (`HOST`, `PORT`). Throws ConfigError. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): Config {
  const input = structuredClone(raw ?? {}) as Record<string, unknown>;
  if (env.HOST || env.PORT) {
    const listen = { ...(input.listen as object | undefined) } as Record<string, unknown>;
    if (env.HOST) listen.host = env.HOST;
    if (env.PORT) {
      const port = Number(env.PORT);
      if (!Number.isInteger(port))
        throw new ConfigError(`PORT must be an integer, got ${JSON.stringify(env.PORT)}`);
      listen.port = port;
    }
    input.listen = listen;
  }
  const result = configSchema.safeParse(input);
  if (!result.success)
    throw new ConfigError(`invalid configuration:\n${formatIssues(result.error, configSchema)}`);
  const config = result.data;
  const startupToken = needsStartupToken(config) ? startupTokenFrom(env) : undefined;
  return {
    ...config,
    ...(startupToken ? { auth: { mode: 'token' as const, tokens: [startupToken] }, startupToken } : {}),
    publicOrigins: [
      ...(config.publicOrigins ?? defaultOrigins(config.listen.host, config.listen.port)),
      ...(config.devOrigins ? DEV_ORIGINS : []),
    ],
  };
}

/**
 * A shell on this machine must never be open to whoever can reach the port: other local users and
 * processes can forge an Origin header. So "none" with a local target means a token made up at start.
 */
function needsStartupToken(config: z.infer<typeof configSchema>): boolean {
  return config.auth.mode === 'none' && config.targets.some((t) => t.kind === 'local');
}

/** TERMRELAY_TOKEN when set (checked like a configured token), else 128 random bits. */
function startupTokenFrom(env: NodeJS.ProcessEnv): string {
  const given = env.TERMRELAY_TOKEN;
  if (given === undefined || given === '') return randomBytes(16).toString('base64url');
  if (given.length < 16 || given.length > 4096 || /\s/.test(given)) {
    throw new ConfigError('TERMRELAY_TOKEN must be 16 to 4096 characters without whitespace');
  }
  return given;
}

/** With no config file: this machine's own shell on 127.0.0.1:8080, for a first look and for development. */
export function defaultConfig(options: { dev?: boolean } = {}): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 8080 },
    auth: { mode: 'none' },
    targets: [{ id: 'local', label: hostname(), kind: 'local' }],
    ...(options.dev ? { devOrigins: true } : {}),
  };
}

export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = {}): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config ${path} is not valid JSON at ${describeJsonError(text, error as Error)}`);
  }
  return parseConfig(raw, env);
}
