// Several termrelay nodes behind the real nginx with the shipped deploy/nginx/termrelay.conf: new consoles
// spread over the nodes, a node that dies or drains takes only its own consoles with it, and no new
// console is refused meanwhile. Session URLs go to the node named in the session id, and to no other.
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NODE_IDS, spread, startCluster, type Cluster, type ConsoleOnNode, type NodeId } from './cluster.js';

/** How long a node may take to exit after SIGTERM: main.ts's shutdown deadline (5 s) and process exit. */
const DRAIN_DEADLINE_MS = 5000;
const EXIT_SLACK_MS = 500;

let sshd: TestSshd;
let cluster: Cluster | undefined;
const consoles: ConsoleOnNode[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterEach(async () => {
  for (const c of consoles.splice(0)) c.client.ws.terminate();
  await cluster?.stop();
  cluster = undefined;
});
afterAll(async () => {
  await sshd?.stop();
});

async function openMany(c: Cluster, count: number): Promise<ConsoleOnNode[]> {
  const opened: ConsoleOnNode[] = [];
  for (let i = 0; i < count; i++) {
    const console = await c.open();
    consoles.push(console);
    opened.push(console);
  }
  return opened;
}

/** The node holding the most of `opened`: the one to take down, so the case has consoles to lose. */
function busiest(opened: readonly ConsoleOnNode[]): NodeId {
  const counts = spread(opened);
  return NODE_IDS.reduce((a, b) => (counts[b] > counts[a] ? b : a));
}

describe('termrelay behind nginx', () => {
  it('spreads 30 consoles over the nodes, and every one of them echoes', async () => {
    cluster = await startCluster(sshd);
    const opened = await openMany(cluster, 30);
    const counts = spread(opened);
    console.log(`[deploy] 30 consoles per node: ${JSON.stringify(counts)}`);
    expect(NODE_IDS.filter((id) => counts[id] > 0).length).toBeGreaterThanOrEqual(2);
    await Promise.all(opened.map((c, i) => c.client.echoes(`c${i}`)));
  });

  it('kill -9 of a node ends its consoles with 1006; the others keep echoing and no new console is refused', async () => {
    cluster = await startCluster(sshd);
    const before = await openMany(cluster, 12);
    const victim = busiest(before);
    const lost = before.filter((c) => c.node === victim);
    const kept = before.filter((c) => c.node !== victim);
    expect(kept.length).toBeGreaterThan(0);

    process.kill(cluster.nodes[victim].pid, 'SIGKILL');
    for (const c of lost) expect((await c.client.closed).code).toBe(1006);
    await Promise.all(kept.map((c, i) => c.client.echoes(`kept${i}`)));

    // Least-conn now prefers the dead node (it holds nothing): nginx must skip it, not refuse the console.
    const after = await openMany(cluster, 9);
    expect(after.filter((c) => c.node === victim)).toEqual([]);
    await Promise.all(after.map((c, i) => c.client.echoes(`new${i}`)));
    await Promise.all(kept.map((c, i) => c.client.echoes(`still${i}`)));

    // A session URL goes to its own node only: the dead node's are not retried elsewhere.
    const alive = NODE_IDS.find((id) => id !== victim) as NodeId;
    const sessionUrl = (node: string) => `/api/sessions/${node}.AAAAAAAAAAAAAAAAAAAAAA/console`;
    expect((await cluster.get(sessionUrl(victim))).status).toBe(502);
    const reached = await cluster.get(sessionUrl(alive));
    expect(reached.status).toBe(404);
    expect(JSON.parse(reached.body)).toMatchObject({ error: { code: 'session_not_found' } });
    const unknown = await cluster.get(sessionUrl('n9'));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'unknown_node' } });
  });

  it('resumes a console whose TCP connection dropped through nginx on its own node: same shell, no byte lost', async () => {
    cluster = await startCluster(sshd);
    const opened = await openMany(cluster, 6);
    const first = opened[opened.length - 1] as ConsoleOnNode;
    const pid = await first.client.shellPid();
    first.client.type('stty -echo; seq 1 100000; echo SEQ-DONE\n');
    await first.client.waitFor(/^500\r?$/m);
    first.client.drop();
    expect((await first.client.closed).code).toBe(1006);
    await new Promise((r) => setTimeout(r, 300));
    const resumed = await cluster.resume(first);
    consoles.push(resumed);
    expect(resumed.client.lastReady.session).toBe(first.session);
    await resumed.client.waitFor(/^SEQ-DONE/m, 30_000);
    const lines = (first.client.output + resumed.client.output)
      .split(/\r?\n/)
      .map((line) => line.replace(/^.*\r/, ''))
      .filter((line) => /^\d+$/.test(line));
    expect(lines.length).toBe(100_000);
    expect(lines.every((line, i) => line === String(i + 1))).toBe(true);
    resumed.client.type('stty echo\n');
    expect(await resumed.client.shellPid()).toBe(pid);
  });

  it('SIGTERM of a node (a rolling restart) gives its consoles 1001, sends new ones to the others, and it exits in time', async () => {
    cluster = await startCluster(sshd);
    const before = await openMany(cluster, 12);
    const victim = busiest(before);
    const node = cluster.nodes[victim];
    const lost = before.filter((c) => c.node === victim);
    const kept = before.filter((c) => c.node !== victim);

    const signalled = Date.now();
    process.kill(node.pid, 'SIGTERM');
    const exited = node.exited.then((code) => ({ code, afterMs: Date.now() - signalled }));
    const during = await openMany(cluster, 6);
    expect(during.filter((c) => c.node === victim)).toEqual([]);

    for (const c of lost) expect((await c.client.closed).code).toBe(1001);
    const exit = await exited;
    console.log(`[deploy] node ${victim} exited ${exit.afterMs} ms after SIGTERM, code ${exit.code}`);
    expect(exit.code).toBe(0);
    expect(exit.afterMs).toBeLessThan(DRAIN_DEADLINE_MS + EXIT_SLACK_MS);

    await Promise.all([...kept, ...during].map((c, i) => c.client.echoes(`after${i}`)));
    const later = await openMany(cluster, 3);
    expect(later.filter((c) => c.node === victim)).toEqual([]);
  });
});
