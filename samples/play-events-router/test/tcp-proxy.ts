import * as net from 'node:net';

/**
 * A TCP proxy in front of a server, which a test takes down (every connection cut,
 * new ones refused) and brings back on the same port: the server as the job sees it.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let refused = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  // while down, the port refuses: a listener that closes every connection at once
  let blocker: net.Server | undefined;
  return {
    port,
    /** Connections refused while down. */
    refused: () => refused,
    async down() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      blocker = net.createServer((s) => {
        refused++;
        s.destroy();
      });
      await new Promise<void>((resolve) => blocker?.listen(port, '127.0.0.1', resolve));
    },
    async up() {
      await new Promise<void>((resolve) => blocker?.close(() => resolve()));
      blocker = undefined;
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (blocker ?? server).close(() => resolve()));
    },
  };
}
