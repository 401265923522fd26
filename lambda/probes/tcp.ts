/** tcp probe: the port accepts a connection (and completes a TLS handshake when `check.tls`). */
import { TLSSocket } from 'node:tls';
import { tlsOptionsOf } from './connect';
import { runProbe } from './probe-lifecycle';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from './types';

export function probeTcp(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult> {
  return runProbe(check.timeoutMs, options, async (context) => {
    const socket = await context.connect(target, tlsOptionsOf(check));
    if (socket instanceof TLSSocket) return `connected, ${socket.getProtocol() ?? 'TLS'} handshake complete`;
    return 'connected';
  });
}
