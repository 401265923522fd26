/** The NLB's TCP health check: a connect to the target's check port that must complete within the timeout. */
import { connect } from 'node:net';
import type { LabClock } from './clock';

/** Whether a TCP connection to `host:port` is accepted within `timeoutMs` of model time. */
export function tcpCheck(host: string, port: number, timeoutMs: number, clock: LabClock): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const finish = (passed: boolean) => {
      if (settled) return;
      settled = true;
      cancelTimer();
      // The check only opens the connection; closing it at once is what the NLB's TCP check does too.
      socket.destroy();
      resolve(passed);
    };
    const cancelTimer = clock.setTimer(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
