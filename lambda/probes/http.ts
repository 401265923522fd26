/**
 * http / https probe (the appliance's "negotiate" check): GET a path; healthy on 2xx/3xx and, when `expect` is set,
 * when the body (read up to a bound) contains that text. Certificates are verified unless `insecure`.
 */
import { ProbeFailure } from './probe-failure';
import { runProbe } from './probe-lifecycle';
import { httpExchange } from './http-client';
import { DEFAULT_HTTP_MAX_BODY_BYTES, DEFAULT_HTTP_PATH, MAX_REASON_DETAIL_CHARS } from './probe-defaults';
import type { CheckSpec, ProbeOptions, ProbeResult, ProbeTarget } from './types';

/** Status line for reasons: "HTTP 503 Service Unavailable". */
export function statusLine(status: number, statusText: string): string {
  const text = statusText.replace(/[\x00-\x1f\x7f]/g, ' ').trim().slice(0, MAX_REASON_DETAIL_CHARS);
  return text ? `HTTP ${status} ${text}` : `HTTP ${status}`;
}

export function probeHttp(target: ProbeTarget, check: CheckSpec, options?: ProbeOptions): Promise<ProbeResult> {
  return runProbe(check.timeoutMs, options, async (context) => {
    const path = check.path ?? DEFAULT_HTTP_PATH;
    if (!path.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(path)) {
      throw new ProbeFailure(`invalid path "${path}" (must start with / and contain no spaces or control characters)`);
    }
    const expectedText = check.expect ?? '';
    const expected = expectedText !== '' ? Buffer.from(expectedText, 'utf8') : undefined;
    const reply = await httpExchange(context, target, {
      method: 'GET',
      path,
      tls: check.protocol === 'https' || check.tls === true,
      insecure: check.insecure,
      ...(check.caCertificates !== undefined ? { ca: check.caCertificates } : {}),
      ...(check.serverName !== undefined ? { servername: check.serverName } : {}),
      ...(check.tlsClientCertificate !== undefined ? { clientCertificate: check.tlsClientCertificate } : {}),
      headers: { Accept: '*/*' },
      readBody: expected !== undefined,
      maxBodyBytes: DEFAULT_HTTP_MAX_BODY_BYTES,
      stopWhen: expected ? (body) => body.includes(expected) : undefined,
    });
    const status = statusLine(reply.status, reply.statusText);
    if (reply.status < 200 || reply.status >= 400) throw new ProbeFailure(status);
    if (!expected) return status;
    const shown = JSON.stringify(expectedText.slice(0, MAX_REASON_DETAIL_CHARS));
    if (reply.body.includes(expected)) return `${status}, body contains ${shown}`;
    const scope = reply.truncated ? `the first ${reply.body.length} bytes of the body` : `the body (${reply.body.length} bytes)`;
    throw new ProbeFailure(`${status}, but ${scope} does not contain ${shown}`);
  });
}
