/**
 * The control channel of a running `medlb lab`: a small HTTP server on 127.0.0.1 (ephemeral port, named in the
 * lab directory's `lab.json`) through which `medlb lab stop|start <service>/<target> --dir D` stops and starts
 * a stand-in real server, and the matching client. Loopback only; it changes nothing but the lab's stand-ins.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';

const LAB_FILE = z.object({ control: z.string() });

/** What the lab answers to a request: an HTTP status and a JSON body. */
export interface LabControlAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/** A control action. */
export type LabControlAction = 'stop' | 'start';

/** The server side. */
export class LabControlServer {
  private constructor(private readonly server: Server) {}

  /** Serves `POST /stop?target=S/T` and `POST /start?target=S/T` through `act`. */
  static async start(act: (action: LabControlAction, target: string) => Promise<LabControlAnswer>): Promise<LabControlServer> {
    const server = createServer((request, response) => {
      request.resume();
      const url = new URL(request.url ?? '/', 'http://lab');
      const action = url.pathname.slice(1);
      const target = url.searchParams.get('target') ?? '';
      const reply = (answer: LabControlAnswer) => response.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
      if (request.method !== 'POST' || (action !== 'stop' && action !== 'start') || target === '') {
        reply({ status: 400, body: { error: 'POST /stop?target=<service>/<target> or /start?target=<service>/<target>' } });
        return;
      }
      act(action, target).then(reply, (err: unknown) => reply({ status: 500, body: { error: err instanceof Error ? err.message : String(err) } }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new LabControlServer(server);
  }

  /** The URL `lab.json` names. */
  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('lab control: not listening on TCP');
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** No lab runs for this directory (no `lab.json`, or its process is gone). */
export class NoRunningLabError extends Error {
  override readonly name = 'NoRunningLabError';
}

/** Asks the lab running for `dir` to stop or start a stand-in. */
export async function requestLabAction(dir: string, action: LabControlAction, target: string): Promise<LabControlAnswer> {
  const path = join(dir, 'lab.json');
  let control: string;
  try {
    control = LAB_FILE.parse(JSON.parse(await readFile(path, 'utf8'))).control;
  } catch {
    throw new NoRunningLabError(`no lab runs for ${dir} (${path} is missing, unreadable or names no control URL): start one with \`medlb lab <site file> --dir ${dir}\``);
  }
  let response: Response;
  try {
    response = await fetch(`${control}/${action}?target=${encodeURIComponent(target)}`, { method: 'POST' });
  } catch {
    throw new NoRunningLabError(`the lab of ${dir} does not answer at ${control}: is it still running?`);
  }
  const body = z.record(z.string(), z.unknown()).safeParse(await response.json().catch(() => ({})));
  return { status: response.status, body: body.success ? body.data : {} };
}
