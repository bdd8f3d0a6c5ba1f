// The folder of recordings: which sessions are recorded, where a session's file is, and what the files
// say about themselves for the list a person picks from. A file name is only ever made from a session id
// that matches the session id pattern, so nothing a request carries can point outside the folder. It
// never writes a recording (recorder.ts does) and never decides who may read one (the routes do).
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CastHeader } from './recorder.js';
import { nodeIdOf } from './session-id.js';

/** One recording as the list shows it. */
export interface RecordingInfo {
  readonly session: string;
  readonly target: string;
  /** ISO 8601 UTC. */
  readonly started: string;
  /** Seconds from the first to the last event. */
  readonly duration: number;
  readonly bytes: number;
  /** Who recorded it (not sent to clients; the routes filter on it). */
  readonly principal: string;
}

const EXTENSION = '.cast';
/** How much of a file's end is read to find its last event. */
const TAIL_BYTES = 65_536;
/** How much of a file's start is read to find its header. */
const HEAD_BYTES = 16_384;

/** Whether `id` is a session id (and so safe as a file name). */
export function isSessionId(id: string): boolean {
  return id.length <= 100 && nodeIdOf(id) !== undefined && !id.includes('/');
}

/** The file for session `id` in `dir`, or undefined when `id` is not a session id. */
export function recordingPath(dir: string, id: string): string | undefined {
  return isSessionId(id) ? join(dir, `${id}${EXTENSION}`) : undefined;
}

/** Creates the folder (0700) when it is missing. */
export async function ensureRecordingDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** What one file says about itself, or undefined when it is not a readable termrelay recording. */
export async function readRecordingInfo(dir: string, id: string): Promise<RecordingInfo | undefined> {
  const path = recordingPath(dir, id);
  if (!path) return undefined;
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await file.stat();
    const head = await readAt(file, 0, Math.min(size, HEAD_BYTES));
    const header = parseHeader(head.slice(0, head.indexOf('\n') >= 0 ? head.indexOf('\n') : undefined));
    if (!header) return undefined;
    const tailStart = Math.max(0, size - TAIL_BYTES);
    const tail = await readAt(file, tailStart, size - tailStart);
    return {
      session: id,
      target: header.termrelay.target,
      started: new Date(header.timestamp * 1000).toISOString(),
      duration: lastEventTime(tail),
      bytes: size,
      principal: header.principal,
    };
  } catch {
    return undefined;
  } finally {
    await file.close().catch(() => {});
  }
}

/** Every recording in `dir`, newest first. A missing folder is an empty list. */
export async function listRecordings(dir: string): Promise<RecordingInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const ids = names
    .filter((n) => n.endsWith(EXTENSION))
    .map((n) => n.slice(0, -EXTENSION.length))
    .filter(isSessionId);
  const infos = await Promise.all(ids.map((id) => readRecordingInfo(dir, id)));
  return infos
    .filter((i): i is RecordingInfo => i !== undefined)
    .sort((a, b) => b.started.localeCompare(a.started));
}

async function readAt(file: Awaited<ReturnType<typeof open>>, position: number, length: number) {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead).toString('utf8');
}

function parseHeader(line: string): CastHeader | undefined {
  try {
    const value = JSON.parse(line) as Partial<CastHeader>;
    if (
      value.version !== 2 ||
      typeof value.timestamp !== 'number' ||
      typeof value.principal !== 'string' ||
      typeof value.termrelay?.target !== 'string'
    )
      return undefined;
    return value as CastHeader;
  } catch {
    return undefined;
  }
}

/** The time of the last complete event line in `tail` (0 when there is none). */
function lastEventTime(tail: string): number {
  const lines = tail.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (!line.startsWith('[')) continue;
    try {
      const event = JSON.parse(line) as unknown;
      if (Array.isArray(event) && typeof event[0] === 'number') return event[0];
    } catch {
      // A line cut by the tail's start, or one still being written: look further back.
    }
  }
  return 0;
}
