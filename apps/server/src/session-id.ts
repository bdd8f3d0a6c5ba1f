// Session ids: `<nodeId>.<random>`, so a balancer in front of several nodes can send a request about a
// session (a resume, a watch) to the node that holds it by reading the URL alone, with no shared store.
// This module owns the id's shape; it never decides where a request goes, nor looks a session up.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A node id: 1-63 letters, digits, dashes or underscores, starting with a letter or digit. No dot, since
 * the dot ends the node id inside a session id; nothing that needs escaping in a URL path.
 */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** Random bytes in a session id: 96 bits, 16 base64url characters. */
export const SESSION_ID_RANDOM_BYTES = 12;

const SESSION_ID_PATTERN = /^([A-Za-z0-9][A-Za-z0-9_-]{0,62})\.[A-Za-z0-9_-]{16,}$/;

/** A new session id on node `nodeId` (which must match NODE_ID_PATTERN: the config checks it). */
export function newSessionId(nodeId: string): string {
  return `${nodeId}.${randomBytes(SESSION_ID_RANDOM_BYTES).toString('base64url')}`;
}

/** The node a session id was made on, or undefined when the text is not a session id. */
export function nodeIdOf(sessionId: string): string | undefined {
  return SESSION_ID_PATTERN.exec(sessionId)?.[1];
}

/**
 * The default node id: this machine's host name up to its first dot, with anything a node id may not hold
 * turned into a dash (`web_1.example.com` is `web_1`); `node` when nothing usable is left.
 */
export function defaultNodeId(host: string = hostname()): string {
  const label = (host.split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 63);
  return NODE_ID_PATTERN.test(label) ? label : 'node';
}
