import type * as net from 'node:net';

/** A test server listening on a loopback address. */
export interface LoopbackListener {
  readonly port: number;
  /** Destroys every open connection, then stops the server (so jest is left with no open handle). */
  close(): Promise<void>;
}

/**
 * Listens on `host` (a 127.0.0.x address) at `port` (0: an ephemeral one) and tracks every connection;
 * `beforeClose` runs first on close (e.g. to clear a peer's timers).
 */
export async function listenOnLoopback(server: net.Server, host: string, beforeClose?: () => void, port = 0): Promise<LoopbackListener> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        beforeClose?.();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
