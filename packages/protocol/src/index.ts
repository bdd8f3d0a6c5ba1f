// termrelay's wire protocol, shared by the server and the browser: how a console ends (close codes and
// words), the control messages in text frames, and the HTTP error bodies. No Node or DOM APIs.
export { ENDS, CloseCode, endEntry, wordsFor, describeClose, formatDuration } from './ends.js';
export type { EndEntry, EndCauseName, EndContext, CloseCodeValue } from './ends.js';
export {
  parseClientControl,
  parseServerControl,
  parseWatchControl,
  MAX_DIMENSION,
  MAX_ACK_BYTES,
} from './control.js';
export type {
  ClientControlMessage,
  ResizeMessage,
  AckMessage,
  CloseMessage,
  ServerControlMessage,
  ResetMessage,
  ReadyMessage,
  ExitMessage,
  ShareMessage,
  UnshareMessage,
  SharedMessage,
  WatchersMessage,
  WatchReadyMessage,
  SizeMessage,
  WatchControlMessage,
} from './control.js';
export type { HttpErrorBody, HttpErrorCode } from './http.js';
