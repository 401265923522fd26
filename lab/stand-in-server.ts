/**
 * One stand-in real server of `medlb lab`: on its own loopback address, a listener per port the site's services
 * use on it, each speaking its service's check protocol (DICOM C-ECHO SCP, MLLP engine, XDS responder, web
 * viewer, or a TCP echo for `tcp` checks), over TLS where the check uses TLS. It can be stopped and started
 * again, as a server that crashes or is shut down for maintenance: stopped, it refuses connections and its open
 * ones are reset.
 */
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { dicomEchoScp } from './dicom-echo-scp';
import type { LabCertificate } from './lab-certificates';
import { mllpEngine } from './mllp-engine';
import { viewerPage } from './viewer-page';
import { xdsResponder } from './xds-responder';

/** The protocols of the controller's checks, each with its stand-in. */
export type StandInProtocol = 'tcp' | 'dicom' | 'hl7' | 'xds' | 'http' | 'https';

/** One port of a stand-in server. */
export interface StandInListener {
  readonly port: number;
  readonly protocol: StandInProtocol;
  /** Serve TLS with this certificate (always for `https`). @default plain TCP */
  readonly tls?: LabCertificate;
  /** dicom: the called AE titles answered (others are rejected). @default [] — any */
  readonly calledAeTitles?: readonly string[];
  /** http/https: text the page must contain (the check's `expect`). @default none */
  readonly expect?: string;
}

/** A stand-in real server. */
export class StandInServer {
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(
    /** The real server's label (it names itself in the pages and answers it sends). */
    readonly name: string,
    /** The loopback address it listens on. */
    readonly host: string,
    /** Its ports. */
    readonly listeners: readonly StandInListener[],
  ) {}

  /** Whether it is listening. */
  get running(): boolean {
    return this.servers.length > 0;
  }

  /** The ports it listens on, in the order of {@link listeners} (a listener's port 0 becomes an ephemeral one). */
  get boundPorts(): number[] {
    return this.servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error(`stand-in ${this.name}: not listening on TCP`);
      return address.port;
    });
  }

  /** Listens on every port (no-op when running); all or nothing. */
  async start(): Promise<void> {
    if (this.running) return;
    const started: Server[] = [];
    try {
      for (const listener of this.listeners) started.push(await this.listen(listener));
    } catch (err) {
      await Promise.all(started.map((server) => closeServer(server)));
      throw err;
    }
    this.servers = started;
  }

  /** Stops listening and resets every open connection (no-op when stopped). */
  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    await Promise.all(servers.map((server) => closeServer(server)));
  }

  private async listen(listener: StandInListener): Promise<Server> {
    const server = this.serverFor(listener);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`stand-in ${this.name} cannot listen on ${this.host}:${listener.port} (${err.code ?? err.message})`)),
      );
      server.listen(listener.port, this.host, () => resolve());
    });
    return server;
  }

  private serverFor(listener: StandInListener): Server {
    const web = (handler: RequestListener): Server =>
      listener.tls ? createHttpsServer({ cert: listener.tls.cert, key: listener.tls.key }, handler) : createHttpServer(handler);
    const stream = (handler: (socket: Socket) => void): Server =>
      listener.tls ? createTlsServer({ cert: listener.tls.cert, key: listener.tls.key }, handler) : createNetServer(handler);
    switch (listener.protocol) {
      case 'dicom':
        return stream(dicomEchoScp({ calledAeTitles: listener.calledAeTitles ?? [] }));
      case 'hl7':
        return stream(mllpEngine());
      case 'xds':
        return web(xdsResponder(this.name));
      case 'http':
      case 'https':
        return web(viewerPage(this.name, listener.expect));
      case 'tcp':
        return stream((socket) => socket.pipe(socket));
    }
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
