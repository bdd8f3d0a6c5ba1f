// Prometheus metrics, one registry per app so that several apps (tests) never share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly sessionsOpen: Gauge;
  readonly sessionsEnded: Counter<'cause'>;
  readonly sessionsDetached: Gauge;
  readonly resumes: Counter<'outcome'>;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly framesOut: Counter;
  readonly flushBytes: Histogram;
  readonly backpressurePauses: Counter;
  readonly controlIgnored: Counter<'reason'>;
  readonly upgradesRefused: Counter<'code'>;
  readonly recordingErrors: Counter;
  readonly watchers: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'termrelay_' });
  const registers = [registry];
  return {
    registry,
    sessionsOpen: new Gauge({
      name: 'termrelay_sessions_open',
      help: 'Console sessions held now, attached or not',
      registers,
    }),
    sessionsDetached: new Gauge({
      name: 'termrelay_sessions_detached',
      help: 'Console sessions held without a client now, waiting to be resumed',
      registers,
    }),
    resumes: new Counter({
      name: 'termrelay_resumes_total',
      help: 'Resume requests, by outcome (resumed, taken_over, session_not_found, resume_denied, bad_request)',
      labelNames: ['outcome'],
      registers,
    }),
    sessionsEnded: new Counter({
      name: 'termrelay_sessions_ended_total',
      help: 'Console sessions ended, by cause',
      labelNames: ['cause'],
      registers,
    }),
    bytesIn: new Counter({
      name: 'termrelay_bytes_in_total',
      help: 'Input bytes relayed to targets',
      registers,
    }),
    bytesOut: new Counter({
      name: 'termrelay_bytes_out_total',
      help: 'Output bytes relayed to clients',
      registers,
    }),
    framesOut: new Counter({
      name: 'termrelay_frames_out_total',
      help: 'Binary output frames sent',
      registers,
    }),
    flushBytes: new Histogram({
      name: 'termrelay_flush_bytes',
      help: 'Size of each output frame',
      buckets: [64, 512, 4096, 16_384, 32_768, 65_536, 262_144],
      registers,
    }),
    backpressurePauses: new Counter({
      name: 'termrelay_backpressure_pauses_total',
      help: 'Times a session stopped taking output from its SSH channel',
      registers,
    }),
    controlIgnored: new Counter({
      name: 'termrelay_control_messages_ignored_total',
      help: 'Malformed, unknown or out-of-range control messages, ignored',
      labelNames: ['reason'],
      registers,
    }),
    upgradesRefused: new Counter({
      name: 'termrelay_upgrades_refused_total',
      help: 'Console requests refused before the WebSocket handshake',
      labelNames: ['code'],
      registers,
    }),
    recordingErrors: new Counter({
      name: 'termrelay_recording_errors_total',
      help: 'Recordings that could not start or stopped for a disk error',
      registers,
    }),
    watchers: new Gauge({
      name: 'termrelay_watchers',
      help: 'Read-only watchers attached to sessions now',
      registers,
    }),
  };
}
