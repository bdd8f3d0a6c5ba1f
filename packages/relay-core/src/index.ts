export { RelaySession, globalRequestProbe, MAX_PTY_DIMENSION } from './session.js';
export type { SessionOptions, SessionHooks, SessionState, Target, PtyOptions } from './session.js';
export {
  END_CAUSE_KINDS,
  RelayError,
  describeCause,
  exitMessage,
  causeFromError,
  isRelayError,
} from './causes.js';
export type { EndCause, EndCauseKind } from './causes.js';
export { staticCredentials, releaser } from './credentials.js';
export type { Credentials, CredentialProvider, StaticCredentialsOptions } from './credentials.js';
export { tcpDialer, dialWithTimeout, closeDialed } from './dial.js';
export type { Dialer, DialedConnection, TcpDialOptions } from './dial.js';
export { jumpDialer } from './jump.js';
export type { JumpHost, JumpDialOptions } from './jump.js';
export {
  createHostKeyVerifier,
  fingerprintOf,
  normalizeFingerprint,
  parseKnownHosts,
  hostsMatch,
} from './host-key.js';
export type { HostKeyPolicy, HostKeyVerifier, KnownHostsEntry } from './host-key.js';
export { Liveness, DEFAULT_LIVENESS, validateLiveness } from './liveness.js';
export type { LivenessOptions, LivenessProbes, LivenessVerdict } from './liveness.js';
export { pump } from './pump.js';
export type { Pump, PumpHooks } from './pump.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { DisposableStore, Emitter, toDisposable, listen } from './lifecycle.js';
export type { Disposable } from './lifecycle.js';
export { duplexPair } from './duplex-pair.js';
export type { DuplexPairOptions } from './duplex-pair.js';
export {
  WindowController,
  adaptiveSshWindow,
  openWithWindow,
  DEFAULT_SSH_WINDOW,
  validateSshWindow,
} from './ssh-window.js';
export type { SshWindow, SshWindowOptions, InitialWindow } from './ssh-window.js';
export { OutputLog } from './output-log.js';
export { ResumableSession, DEFAULT_RESUME } from './resumable-session.js';
export type { ResumableSessionOptions, SessionClient, DetachReason } from './resumable-session.js';
