// The deploy suite's cluster: three termrelay nodes (the built server, each its own process) behind a real
// nginx running the shipped deploy/nginx/termrelay.conf, in front of one real sshd. It owns rendering that
// file for free ports and nothing else: the routing under test is the file's own.
import { readFileSync } from 'node:fs';
import { startTermrelayProcess, type TermrelayProcess } from '@termrelay/server/testing';
import { freePort, startNginx, type TestNginx, type TestSshd } from '@termrelay/test-sshd';
import { ConsoleClient, targetConfig } from '../src/testing/harness.js';
import { nodeIdOf } from '../src/session-id.js';

/** The shipped file, the one docs/deploy.md tells operators to include. */
export const SHIPPED_NGINX_CONF = new URL('../../../deploy/nginx/termrelay.conf', import.meta.url);

export const NODE_IDS = ['n1', 'n2', 'n3'] as const;
export type NodeId = (typeof NODE_IDS)[number];

/** The addresses the shipped file is written for: nginx, then n1, n2, n3. */
const DOCUMENTED = {
  nginx: '127.0.0.1:8080',
  n1: '127.0.0.1:8081',
  n2: '127.0.0.1:8082',
  n3: '127.0.0.1:8083',
} as const;

export const TOKEN = 'deploy-suite-token-0123456789';

export type Ports = Record<keyof typeof DOCUMENTED, number>;

/**
 * The shipped file with its four documented addresses moved to `ports`, and nothing else changed: other
 * test runs on this machine may hold 8080-8083, and a fixed port would make this suite fail for that
 * alone. Throws when the file no longer uses the addresses the way the suite expects (the listen line
 * once, each node in the shared pool and in its own upstream), so a drifted file fails loudly.
 */
export function renderNginxConf(text: string, ports: Ports): string {
  const code = (t: string) =>
    t
      .split('\n')
      .map((line) => line.replace(/#.*$/, ''))
      .join('\n');
  const uses = (t: string, address: string) => code(t).split(address).length - 1;
  for (const [name, address] of Object.entries(DOCUMENTED)) {
    const expected = name === 'nginx' ? 1 : 2;
    if (uses(text, address) !== expected)
      throw new Error(
        `${SHIPPED_NGINX_CONF.pathname} uses ${address} ${uses(text, address)} times, expected ${expected}`,
      );
  }
  let out = text;
  for (const [name, address] of Object.entries(DOCUMENTED))
    out = out.replaceAll(address, `127.0.0.1:${ports[name as keyof Ports]}`);
  if (/127\.0\.0\.1:808[0-3]\b/.test(code(out)))
    throw new Error('a documented address was left in the rendered file');
  return out;
}

export interface ConsoleOnNode {
  readonly client: ConsoleClient;
  readonly session: string;
  readonly node: NodeId;
}

export interface Cluster {
  readonly nginx: TestNginx;
  readonly nodes: Record<NodeId, TermrelayProcess>;
  /** `http://127.0.0.1:<nginx port>`: the public origin every node is configured with. */
  readonly origin: string;
  /** Opens a console on target vm1 through nginx and waits for `ready`; throws when it is refused. */
  open(): Promise<ConsoleOnNode>;
  /** Resumes a console's session through nginx from the offset its client reached. */
  resume(console: ConsoleOnNode): Promise<ConsoleOnNode>;
  /** A plain GET through nginx (with the token), for its status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export async function startCluster(sshd: TestSshd): Promise<Cluster> {
  const ports: Ports = {
    nginx: await freePort(),
    n1: await freePort(),
    n2: await freePort(),
    n3: await freePort(),
  };
  const origin = `http://127.0.0.1:${ports.nginx}`;
  const started: TermrelayProcess[] = [];
  let nginx: TestNginx | undefined;
  const stop = async () => {
    await nginx?.stop();
    for (const node of started) {
      node.stop();
      await node.exited;
    }
  };
  try {
    for (const id of NODE_IDS) {
      started.push(
        await startTermrelayProcess(
          {
            nodeId: id,
            listen: { host: '127.0.0.1', port: ports[id] },
            publicOrigins: [origin],
            trustProxy: ['127.0.0.1'],
            auth: { mode: 'token', tokens: [TOKEN] },
            targets: [targetConfig(sshd)],
          },
          { port: ports[id] },
        ),
      );
    }
    const include = renderNginxConf(readFileSync(SHIPPED_NGINX_CONF, 'utf8'), ports);
    nginx = await startNginx({ http: include, port: ports.nginx });
  } catch (error) {
    await stop();
    throw error;
  }
  const [n1, n2, n3] = started as [TermrelayProcess, TermrelayProcess, TermrelayProcess];
  const headers = { Authorization: `Bearer ${TOKEN}` };
  return {
    nginx,
    nodes: { n1, n2, n3 },
    origin,
    async open() {
      const client = ConsoleClient.open(`ws://127.0.0.1:${ports.nginx}/api/targets/vm1/console?flow=ack`, {
        origin,
        headers,
        ack: true,
      });
      await client.opened;
      await client.ready();
      const session = client.controls.find((c) => c.type === 'ready')?.session;
      const node = typeof session === 'string' ? nodeIdOf(session) : undefined;
      if (typeof session !== 'string' || !NODE_IDS.includes(node as NodeId))
        throw new Error(`ready named no node of this cluster: ${JSON.stringify(session)}`);
      return { client, session, node: node as NodeId };
    },
    async resume(previous) {
      const { session, resume } = previous.client.lastReady;
      const query = `resume=${resume}&offset=${previous.client.outputOffset}&flow=ack`;
      const client = ConsoleClient.open(
        `ws://127.0.0.1:${ports.nginx}/api/sessions/${session}/console?${query}`,
        {
          origin,
          headers,
          ack: true,
        },
      );
      await client.opened;
      await client.ready();
      return { client, session, node: previous.node };
    },
    async get(path) {
      const res = await fetch(`${origin}${path}`, { headers: { ...headers, Origin: origin } });
      return { status: res.status, body: await res.text() };
    },
    stop,
  };
}

/** How many consoles each node holds. */
export function spread(consoles: readonly ConsoleOnNode[]): Record<NodeId, number> {
  const counts = { n1: 0, n2: 0, n3: 0 };
  for (const c of consoles) counts[c.node]++;
  return counts;
}
