/**
 * @module cli/api-balancer
 * The local load-balancing endpoint `coracle up` puts in front of the peers' Kubernetes
 * APIs: a TCP proxy on one stable port that hands each new client connection to the next
 * peer in turn, skipping a peer that refuses the connection. A client that keeps its
 * kubeconfig pointed here keeps working while any one peer is down (its open watches are
 * closed with the peer, and reconnect through the balancer to a live one).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** How long one upstream connection attempt may take, in ms. */
const upstreamConnectTimeoutMs = 1000;

/** Most connections proxied at once; more are refused (the bound of this buffer-free proxy). */
const connectionsMax = 4096;

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timeout'));
    }, upstreamConnectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Starts the balancer on 127.0.0.1:`port` over the API ports `upstreams`. */
export async function startAPIBalancer(port: number, upstreams: readonly number[]):
  Promise<Server> {
  let next = 0;
  const server = createServer({ pauseOnConnect: true }, (client) => {
    void (async () => {
      for (let tried = 0; tried < upstreams.length; tried++) {
        const target = upstreams[next % upstreams.length]!;
        next = (next + 1) % upstreams.length;
        try {
          const upstream = await dial(target);
          client.pipe(upstream).pipe(client);
          client.on('error', () => upstream.destroy());
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
          client.resume();
          return;
        } catch {
          // This peer is down; try the next one.
        }
      }
      client.destroy();
    })();
  });
  server.maxConnections = connectionsMax;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** Renders the kubeconfig `coracle up` writes: the balancer plus one context per peer. */
export function renderKubeconfig(balancerPort: number,
  peers: readonly { name: string; apiPort: number }[]): string {
  const clusters = [{ name: 'coracle', server: `http://127.0.0.1:${balancerPort}` },
    ...peers.map((peer) => ({ name: `coracle-${peer.name}`,
      server: `http://127.0.0.1:${peer.apiPort}` }))];
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const cluster of clusters) {
    lines.push(`- name: ${cluster.name}`, '  cluster:', `    server: ${cluster.server}`);
  }
  lines.push('contexts:');
  for (const cluster of clusters) {
    lines.push(`- name: ${cluster.name}`, '  context:', `    cluster: ${cluster.name}`,
      '    user: coracle-admin', '    namespace: default');
  }
  lines.push('current-context: coracle', 'users:', '- name: coracle-admin', '  user: {}',
    'preferences: {}', '');
  return lines.join('\n');
}
