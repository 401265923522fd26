import * as net from 'node:net';

/** A free TCP port on 127.0.0.1, for external tools (storescp, Orthanc) that cannot listen on port 0 and report it. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
