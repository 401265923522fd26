/** tcp probe: the port accepts a connection (and completes a TLS handshake when `check.tls`). */
import { TLSSocket } from 'node:tls';
import { runProbe } from './connect';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from './types';

export function probeTcp(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult> {
  return runProbe(check.timeoutMs, options, async (context) => {
    const socket = await context.connect(target, { tls: check.tls, insecure: check.insecure });
    if (socket instanceof TLSSocket) return `connected, ${socket.getProtocol() ?? 'TLS'} handshake complete`;
    return 'connected';
  });
}
