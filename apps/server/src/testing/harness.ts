// Test harness: a real termrelay app on a free loopback port in front of a real sshd, and a console
// client that speaks the wire protocol with a real ws client.
import type { AddressInfo } from 'node:net';
import { OutputWatcher, type TestSshd } from '@termrelay/test-sshd';
import { WebSocket, type ClientOptions } from 'ws';
import { createApp, type AppOptions, type TermrelayApp } from '../app.js';
import { parseConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';

export const TEST_ORIGIN = 'http://termrelay.test';

export function targetConfig(sshd: TestSshd, id = 'vm1') {
  return {
    id,
    label: `Test VM ${id}`,
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientPrivateKeyPath,
    hostKeyFingerprints: [sshd.hostKeyFingerprint],
  };
}

export interface TestServer {
  readonly relay: TermrelayApp;
  readonly config: Config;
  readonly port: number;
  readonly httpUrl: string;
  consoleUrl(target?: string, query?: string): string;
  close(): Promise<void>;
}

export async function startTestServer(
  sshd: TestSshd,
  overrides: Record<string, unknown> = {},
  appOptions: Omit<AppOptions, 'logger'> = {},
): Promise<TestServer> {
  const config = parseConfig({
    listen: { host: '127.0.0.1', port: 0 },
    publicOrigins: [TEST_ORIGIN],
    targets: [targetConfig(sshd)],
    log: { level: process.env.TERMRELAY_TEST_LOG ?? 'silent' },
    ...overrides,
  });
  const relay = createApp(config, { logger: createLogger(config.log.level), ...appOptions });
  await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
  const port = (relay.server.address() as AddressInfo).port;
  return {
    relay,
    config,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    consoleUrl: (target = 'vm1', query = '') =>
      `ws://127.0.0.1:${port}/api/targets/${target}/console${query}`,
    close: () => relay.shutdown(1000),
  };
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A console client: output as text, control messages as objects, and how it closed. */
export class ConsoleClient extends OutputWatcher {
  readonly controls: Record<string, unknown>[] = [];
  readonly closed: Promise<Closed>;
  readonly opened: Promise<void>;
  binaryFrames = 0;

  constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.binaryFrames++;
        this.feed(data);
      } else {
        this.controls.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
      }
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    this.opened.catch(() => {});
  }

  static open(url: string, options: ClientOptions = {}): ConsoleClient {
    return new ConsoleClient(new WebSocket(url, { origin: TEST_ORIGIN, ...options }));
  }

  /** Waits for the `ready` control message. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    while (!this.controls.some((c) => c.type === 'ready')) {
      if (Date.now() - started > timeoutMs) throw new Error('no ready message');
      if (this.ws.readyState > WebSocket.OPEN)
        throw new Error(`closed before ready: ${JSON.stringify(await this.closed)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  control(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }
}

/** Sends an upgrade request and returns the refusal's status, content type and JSON body. */
export async function refusalOf(
  url: string,
  options: ClientOptions = {},
): Promise<{
  status: number;
  contentType: string | undefined;
  body: { error: { code: string; message: string } };
}> {
  const ws = new WebSocket(url, options);
  ws.on('error', () => {});
  return await new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: JSON.parse(text) as { error: { code: string; message: string } },
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  });
}

export async function metricValue(server: TestServer, name: string, labels = ''): Promise<number> {
  const text = await server.relay.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
