// A TCP proxy on 127.0.0.1 between the browser and a termrelay server that a test can cut: `sever()`
// resets every connection through it at once (as a Wi-Fi drop or a proxy restart looks to the page: no
// close frame, a 1006), and `block()` refuses new ones until `unblock()`, so the page's retries fail for
// as long as the test wants.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** `http://127.0.0.1:PORT`: open the page here. */
  readonly origin: string;
  readonly port: number;
  /** Connections opened through the proxy so far. */
  readonly connections: number;
  sever(): void;
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

/** Listens on `port` (pick one with freePort) and forwards to `targetPort` on 127.0.0.1. */
export async function startTcpProxy(port: number, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let blocked = false;
  let connections = 0;
  const server: Server = createServer((client) => {
    if (blocked) return void client.resetAndDestroy();
    connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).on('error', () => {});
    upstream.pipe(client).on('error', () => {});
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    sever() {
      for (const socket of open) socket.resetAndDestroy();
    },
    block() {
      blocked = true;
    },
    unblock() {
      blocked = false;
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
