// The server's `upgrade` handler: every refusal is decided and answered here on the raw socket, before
// the WebSocket handshake (Host, shutdown, origin, auth, target or session, size, per-client and global
// limits); only then does ws take the socket, and a new session begins or a held one is resumed.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CredentialProvider } from '@termrelay/relay-core';
import { CloseCode } from '@termrelay/protocol';
import { WebSocketServer } from 'ws';
import type { AuditLog } from './audit.js';
import type { Authenticator } from './auth.js';
import type { BufferPool } from './buffer-pool.js';
import type { ProxyTrust } from './client-address.js';
import type { Config } from './config.js';
import { hostAllowed } from './http-hardening.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { SessionRegistry } from './session-registry.js';
import { newSessionId } from './session-id.js';
import type { TargetRegistry } from './targets.js';
import { decideConsoleRequest, RESUME_PATH, writeRefusal, type Refusal } from './upgrade.js';
import { ConsoleSession } from './console-session.js';
import { Recorder } from './recorder.js';
import { ensureRecordingDir, recordingPath } from './recording-store.js';
import type { ResolvedTarget } from './targets.js';
import type { Principal } from './auth.js';
import { unlink } from 'node:fs/promises';

export interface UpgradeContext {
  readonly config: Config;
  readonly targets: TargetRegistry;
  readonly sessions: SessionRegistry<ConsoleSession>;
  readonly authenticate: Authenticator;
  readonly trust: ProxyTrust;
  readonly hosts: () => ReadonlySet<string>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly pool: BufferPool;
  readonly shuttingDown: () => boolean;
  readonly wrapCredentials?: (provider: CredentialProvider, targetId: string) => CredentialProvider;
}

export interface UpgradeHandler {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export function createUpgradeHandler(ctx: UpgradeContext): UpgradeHandler {
  const { config, metrics, logger } = ctx;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.console.maxInputFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    // ws >= 8.19 waits this long for the peer's close frame (30 s by default); @types/ws lags behind.
    ...{ closeTimeout: config.console.closeTimeoutMs },
  });

  function handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const clientAddress = ctx.trust.clientAddress(req);
    const refuse = (refusal: Refusal) => {
      metrics.upgradesRefused.inc({ code: refusal.code });
      const level =
        refusal.code === 'origin_not_allowed' || refusal.code === 'host_not_allowed' ? 'warn' : 'info';
      logger[level](
        {
          client: clientAddress,
          status: refusal.status,
          code: refusal.code,
          origin: req.headers.origin,
          host: req.headers.host,
        },
        'console refused',
      );
      writeRefusal(socket, refusal);
    };
    if (!hostAllowed(req, ctx.hosts)) {
      return refuse({
        status: 421,
        code: 'host_not_allowed',
        message: 'this server does not answer that Host',
      });
    }
    if (ctx.shuttingDown())
      return refuse({ status: 503, code: 'shutting_down', message: 'server shutting down' });
    void decideConsoleRequest(req, {
      config,
      targets: ctx.targets,
      sessions: ctx.sessions,
      authenticate: ctx.authenticate,
      isHttps: (r) => ctx.trust.isHttps(r),
    }).then((decision) => {
      if (socket.destroyed) return;
      const resuming = RESUME_PATH.test((req.url ?? '').split('?')[0] ?? '');
      if (!decision.ok) {
        if (resuming) metrics.resumes.inc({ outcome: decision.refusal.code });
        return refuse(decision.refusal);
      }
      const request = decision.request;
      if (request.kind === 'watch') {
        const { session } = request;
        wss.handleUpgrade(req, socket, head, (ws) => session.watch(ws, clientAddress));
        return;
      }
      if (request.kind === 'resume') {
        const { session, token, offset, cols, rows, flowAck } = request;
        wss.handleUpgrade(req, socket, head, (ws) => {
          // Two resumes with one token may both pass the check above: only the first attaches.
          if (!session.tokenMatches(token) || session.session.state === 'ended') {
            metrics.resumes.inc({ outcome: 'resume_denied' });
            ws.close(CloseCode.PolicyViolation, 'resume_denied');
            return;
          }
          metrics.resumes.inc({ outcome: session.session.client ? 'taken_over' : 'resumed' });
          session.attach(ws, { from: offset, flowAck, clientAddress, size: { cols, rows } });
        });
        return;
      }
      const { principal, target, cols, rows, flowAck } = request;
      const clientKey = principal.authenticated ? principal.id : `address:${clientAddress}`;
      const limited = ctx.sessions.admit(clientKey);
      if (limited) return refuse(limited);
      const sessionId = newSessionId(config.nodeId);
      void startRecording(sessionId, target, principal, cols, rows).then((recorder) => {
        if (recorder === 'refused') {
          return refuse({
            status: 503,
            code: 'recording_unavailable',
            message: 'this console must be recorded, and the recording cannot start',
          });
        }
        if (socket.destroyed) return void abandon(recorder);
        accept(sessionId, recorder);
      });
      const accept = (sessionId: string, recorder: Recorder | undefined) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          const { id } = target.config;
          const credentials = ctx.wrapCredentials
            ? ctx.wrapCredentials(target.relay.credentials, id)
            : target.relay.credentials;
          const session = new ConsoleSession({
            id: sessionId,
            targetId: id,
            target: { ...target.relay, credentials },
            env: target.env,
            cols,
            rows,
            principalId: principal.id,
            clientKey,
            config: config.console,
            metrics,
            logger,
            audit: ctx.audit,
            clientAddress,
            pool: ctx.pool,
            ...(recorder ? { recorder, recordingRequired: config.recording?.required ?? false } : {}),
          });
          ctx.sessions.add(session);
          session.attach(ws, { from: 0, flowAck, clientAddress });
        });
    });
  }

  /**
   * Opens the session's recording when its target is recorded. A failure is logged and counted; it refuses
   * the session only when recording is required.
   */
  async function startRecording(
    sessionId: string,
    target: ResolvedTarget,
    principal: Principal,
    cols: number,
    rows: number,
  ): Promise<Recorder | undefined | 'refused'> {
    const recording = config.recording;
    if (!recording || target.config.record === false) return undefined;
    const path = recordingPath(recording.dir, sessionId);
    try {
      if (!path) throw new Error(`not a session id: ${sessionId}`);
      await ensureRecordingDir(recording.dir);
      return await Recorder.open({
        path,
        cols,
        rows,
        title: target.config.label,
        session: sessionId,
        target: target.config.id,
        principal: principal.id,
        input: recording.input,
      });
    } catch (error) {
      metrics.recordingErrors.inc();
      logger.error(
        { session: sessionId, err: (error as Error).message, required: recording.required },
        'recording cannot start',
      );
      return recording.required ? 'refused' : undefined;
    }
  }

  /** A recording opened for a client that left before the handshake: nothing to keep. */
  async function abandon(recorder: Recorder | undefined): Promise<void> {
    if (!recorder) return;
    await recorder.close();
    const path = recordingPath(config.recording?.dir ?? '', recorder.session);
    if (path) await unlink(path).catch(() => {});
  }

  return { handle, close: () => wss.close() };
}
