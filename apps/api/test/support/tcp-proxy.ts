import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of a real server that a test can cut (connections dropped, then refused) and restore. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones, as when the server goes away. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const handle = (client: Socket): void => {
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      // A side that closes ends the other after what it already sent is flushed (a server's last
      // replies before it closes, as after QUIT): destroying would drop them, which no real
      // network does on an orderly close.
      socket.on('close', () => {
        sockets.delete(socket);
        (socket === client ? upstream : client).end();
      });
    }
  };
  let server: Server = createServer(handle);
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  const port = await listen(0);
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  return {
    port,
    cut: stop,
    restore: async () => {
      if (server.listening) return;
      server = createServer(handle);
      await listen(port);
    },
    close: stop,
  };
}
