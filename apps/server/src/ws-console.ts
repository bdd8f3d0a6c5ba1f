// The WebSocket adapter: one console per WebSocket. It presents the socket to relay-core as a Duplex —
// binary frames in as input; output out through the batcher — and owns everything WebSocket: control
// messages, output backpressure (queue cap, and the ack window with flow=ack), write timeouts, ping as the
// client probe, and the close frame that names the cause.
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { CloseCode, parseClientControl, type ExitMessage } from '@termrelay/protocol';
import { RelaySession, type EndCause, type Target } from '@termrelay/relay-core';
import type { WebSocket } from 'ws';
import type { AuditLog } from './audit.js';
import { Batcher } from './batcher.js';
import type { BufferPool } from './buffer-pool.js';
import { closeFor, endCauseName, type TransportCause } from './close-codes.js';
import type { ConsoleConfig } from './config.js';
import { ControlLimiter } from './control-limiter.js';
import { AckWindow } from './flow-control.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { ResizeCoalescer } from './resize-coalescer.js';

/** Bytes the relay may hand the adapter beyond the queue cap before its writes report backpressure. */
const STREAM_HIGH_WATER_MARK = 16 * 1024;

export interface ConsoleContext {
  readonly targetId: string;
  /** Whose console: the principal, or the address under auth "none" (per-client limits). */
  readonly clientKey: string;
  /** The client's address, for the log and the audit trail. */
  readonly clientAddress: string;
  /** Who opened it (the principal id), for the audit trail. */
  readonly principal: string;
  readonly target: Target;
  /** Environment sent with the shell request. */
  readonly env: Readonly<Record<string, string>>;
  readonly cols: number;
  readonly rows: number;
  readonly flowAck: boolean;
  readonly config: ConsoleConfig;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly pool: BufferPool;
}

export interface ConsoleHandle {
  readonly id: string;
  readonly clientKey: string;
  /** Ends the console with 1001 (server shutdown). */
  shutdown(): void;
  /** Resolves when the WebSocket has closed. */
  readonly closed: Promise<void>;
}

export function runConsole(ws: WebSocket, ctx: ConsoleContext): ConsoleHandle {
  const id = randomBytes(12).toString('base64url');
  const { config, metrics } = ctx;
  const log = ctx.logger.child({ session: id, target: ctx.targetId, client: ctx.clientAddress });
  const limiter = new ControlLimiter(config.controlMessagesPerSecond);
  const startedAt = Date.now();
  const who = { session: id, principal: ctx.principal, target: ctx.targetId, client: ctx.clientAddress };
  const ack = ctx.flowAck ? new AckWindow(config.clientWindowBytes) : undefined;
  let transportCause: TransportCause | undefined;
  let heldWrite: (() => void) | undefined;
  let pendingSize: { cols: number; rows: number } | undefined;
  let bytesIn = 0;
  let bytesOut = 0;
  let pongSeen = true;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const canAccept = () =>
    batcher.pendingBytes + ws.bufferedAmount < config.outputBufferBytes && (ack ? ack.open : true);
  const releaseHeldWrite = () => {
    if (heldWrite && canAccept()) {
      const callback = heldWrite;
      heldWrite = undefined;
      callback();
    }
  };

  const batcher = new Batcher(
    config,
    {
      send: (frame, done) => {
        if (ws.readyState !== ws.OPEN) return done();
        ws.send(frame, { binary: true }, done);
      },
    },
    ctx.pool,
    {
      onWritten: releaseHeldWrite,
      onWriteTimeout: () => endForTransport('client-too-slow'),
      onFrame: (bytes) => {
        metrics.framesOut.inc();
        metrics.flushBytes.observe(bytes);
        ack?.onSent(bytes);
      },
    },
  );

  const stream = new Duplex({
    readableHighWaterMark: 64 * 1024,
    writableHighWaterMark: STREAM_HIGH_WATER_MARK,
    read() {
      // relay-core wants more input: let ws read from the socket again.
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      batcher.push(chunk);
      // Holding the callback is the backpressure: the relay's pump pauses the SSH channel.
      if (canAccept()) callback();
      else heldWrite = callback;
    },
  });
  stream.on('error', () => {});

  const session = new RelaySession(stream, {
    target: ctx.target,
    pty: { cols: ctx.cols, rows: ctx.rows, env: ctx.env },
    channelBufferBytes: config.sshBufferBytes,
    window: config.sshWindowAdaptive && {
      minBytes: config.sshWindowMinBytes,
      maxBytes: config.sshWindowMaxBytes,
    },
    connectTimeoutMs: config.connectTimeoutMs,
    handshakeTimeoutMs: config.connectTimeoutMs,
    liveness: {
      intervalMs: config.livenessIntervalMs,
      probeTimeoutMs: config.probeTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      maxLifetimeMs: config.maxLifetimeMs,
    },
    clientProbe: () => {
      if (!pongSeen) return false;
      pongSeen = false;
      if (ws.readyState === ws.OPEN) ws.ping();
      return true;
    },
    hooks: {
      onInputBytes: (n) => {
        bytesIn += n;
        metrics.bytesIn.inc(n);
      },
      onOutputBytes: (n) => {
        bytesOut += n;
        metrics.bytesOut.inc(n);
      },
      onOutputPause: () => metrics.backpressurePauses.inc(),
    },
  });

  const resizes = new ResizeCoalescer(config.resizeIntervalMs, (size) =>
    session.resize(size.cols, size.rows),
  );

  /** Ends the session for a reason only the transport sees; relay-core reports it as aborted. */
  function endForTransport(cause: TransportCause): void {
    if (transportCause || session.state === 'ended') return;
    transportCause = cause;
    session.abort(cause);
  }

  const sendControl = (message: object) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  ws.on('pong', () => (pongSeen = true));
  ws.on('message', (data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean) => {
    const buffer = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (isBinary) {
      batcher.noteInput();
      if (buffer.length > 0 && !stream.push(buffer)) ws.pause();
      return;
    }
    // Bound the cost before parsing: one event loop serves every session.
    if (buffer.length > config.maxControlFrameBytes) return endForTransport('frame-too-large');
    const verdict = limiter.take();
    if (verdict !== 'accept') {
      metrics.controlIgnored.inc({ reason: 'rate-limited' });
      if (verdict === 'flood') endForTransport('policy-violation');
      return;
    }
    const message = parseClientControl(buffer.toString('utf8'));
    if ('ignored' in message) {
      metrics.controlIgnored.inc({ reason: message.ignored });
      return;
    }
    if (message.type === 'resize') {
      if (session.state === 'open') resizes.update(message);
      else pendingSize = { cols: message.cols, rows: message.rows };
    } else if (ack) {
      ack.onAck(message.bytes);
      releaseHeldWrite();
    } else {
      metrics.controlIgnored.inc({ reason: 'ack-without-flow' });
    }
  });
  ws.on('error', (error: Error & { code?: string }) => {
    // ws closes the connection itself with 1007 or 1009; we only record why.
    if (error.code === 'WS_ERR_INVALID_UTF8') transportCause ??= 'invalid-text';
    else if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') transportCause ??= 'frame-too-large';
    log.debug({ err: error.message }, 'websocket error');
  });
  ws.on('close', () => {
    stream.destroy();
    batcher.dispose();
    resizes.dispose();
    resolveClosed();
  });

  session.onReady(() => {
    sendControl({ type: 'ready', session: id });
    if (pendingSize) session.resize(pendingSize.cols, pendingSize.rows);
    log.info({ cols: ctx.cols, rows: ctx.rows, flow: ctx.flowAck ? 'ack' : 'none' }, 'session open');
    ctx.audit.record({ event: 'open', ...who });
  });

  metrics.sessionsOpen.inc();
  void session.start().then((cause) => {
    metrics.sessionsOpen.dec();
    const label = endCauseName(cause, transportCause);
    metrics.sessionsEnded.inc({ cause: label });
    log.info(
      {
        cause: label,
        message: cause.message,
        ...(cause.exitCode !== undefined ? { exitCode: cause.exitCode } : {}),
        ...(cause.exitSignal ? { exitSignal: cause.exitSignal } : {}),
        ...(cause.kind === 'error' && cause.error ? { err: cause.error.message } : {}),
        durationMs: Date.now() - startedAt,
        bytesIn,
        bytesOut,
      },
      'session closed',
    );
    ctx.audit.record({
      event: 'end',
      ...who,
      cause: label,
      bytesIn,
      bytesOut,
      durationMs: Date.now() - startedAt,
    });
    closeWebSocket(cause);
  });

  function closeWebSocket(cause: EndCause): void {
    if (ws.readyState !== ws.OPEN) {
      batcher.dispose();
      return;
    }
    // Output first, then the exit message, then the close frame: ws keeps that order on the wire.
    batcher.flush();
    if (cause.kind === 'exit') {
      const exit: ExitMessage = {
        type: 'exit',
        code: cause.exitCode ?? null,
        signal: cause.exitSignal ?? null,
      };
      sendControl(exit);
    }
    const { code, reason } = closeFor(endCauseName(cause, transportCause), config, cause);
    batcher.dispose();
    if (code === CloseCode.ClientTooSlow || code === CloseCode.ClientUnresponsive) {
      // The peer is not reading: the close frame waits behind unsent data, so do not wait on it long.
      ws.close(code, reason);
      setTimeout(() => ws.terminate(), config.closeTimeoutMs).unref();
      return;
    }
    ws.close(code, reason);
  }

  return {
    id,
    clientKey: ctx.clientKey,
    closed,
    shutdown: () => endForTransport('server-shutdown'),
  };
}
