/**
 * The stand-in real servers of `medlb lab`, checked by the controller's own probes (the code that decides in
 * AWS): each protocol's stand-in passes its check, answers only what a real server of its kind would (a DICOM
 * node only its AE titles), speaks TLS with a lab-CA certificate the probe verifies, and refuses connections
 * while stopped.
 */
import { connect } from 'node:net';
import { probe } from '../../lambda/probes';
import type { CheckSpec } from '../../lambda/probes/types';
import { LabCertificateAuthority } from '../../lab/lab-certificates';
import { acknowledgement } from '../../lab/mllp-engine';
import { StandInServer, type StandInListener } from '../../lab/stand-in-server';

const HOST = '127.0.61.10';
const running: StandInServer[] = [];

async function standIn(listener: Omit<StandInListener, 'port'>, host = HOST): Promise<{ server: StandInServer; port: number }> {
  const server = new StandInServer('NODE1', host, [{ ...listener, port: 0 }]);
  await server.start();
  running.push(server);
  return { server, port: portOf(server, 0) };
}

/** The bound port of a stand-in's listener `index`. */
function portOf(server: StandInServer, index: number): number {
  const port = server.boundPorts.at(index);
  if (port === undefined) throw new Error(`${server.name} has no listener ${index}`);
  return port;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

describe('stand-in real servers against the controller probes', () => {
  it('the DICOM SCP answers C-ECHO for its AE titles and rejects any other called AE title', async () => {
    const { port } = await standIn({ protocol: 'dicom', calledAeTitles: ['PACS'] });
    const good = await probe({ host: HOST, port }, { protocol: 'dicom', timeoutMs: 3000, callingAeTitle: 'MEDLB', calledAeTitle: 'PACS' });
    expect(good).toMatchObject({ healthy: true });
    const wrong = await probe({ host: HOST, port }, { protocol: 'dicom', timeoutMs: 3000, callingAeTitle: 'MEDLB', calledAeTitle: 'ARCHIVE' });
    expect(wrong.healthy).toBe(false);
    expect(wrong.reason).toMatch(/called AE/i);
  });

  it('the MLLP engine acknowledges with AA and the message control id, in the message separators', async () => {
    const { port } = await standIn({ protocol: 'hl7' });
    expect(await probe({ host: HOST, port }, { protocol: 'hl7', timeoutMs: 3000 })).toMatchObject({ healthy: true });
    const ack = acknowledgement('MSH#$~\\&#SND#FAC#RCV#RFAC#20261127##ADT$A19#CTRL42#T#2.3\rQRD#x\r');
    expect(ack.split('\r')[0]).toMatch(/^MSH#\$~\\&#RCV#RFAC#SND#FAC#\d{14}##ACK\$A19\$ACK#LAB\d+#T#2\.3$/);
    expect(ack.split('\r')[1]).toBe('MSA#AA#CTRL42');
  });

  it('the XDS responder passes the registry (ITI-18) and the repository (ITI-43) checks', async () => {
    const { port } = await standIn({ protocol: 'xds' });
    const registry: CheckSpec = { protocol: 'xds', timeoutMs: 3000, transaction: 'registry', patientId: 'P1^^^&1.2.3&ISO' };
    const repository: CheckSpec = { protocol: 'xds', timeoutMs: 3000, transaction: 'repository', repositoryUniqueId: '1.2.3.1', documentUniqueId: '1.2.3.999' };
    expect(await probe({ host: HOST, port }, registry)).toMatchObject({ healthy: true });
    expect(await probe({ host: HOST, port }, repository)).toMatchObject({ healthy: true });
  });

  it('TLS stand-ins carry a lab-CA certificate that the probes verify (https viewer with expect, DICOM TLS)', async () => {
    const ca = await LabCertificateAuthority.create();
    const tls = await ca.issue(HOST, ['viewer.lab.example']);
    const viewer = await standIn({ protocol: 'https', tls, expect: 'Viewer ready' });
    const https: CheckSpec = { protocol: 'https', timeoutMs: 3000, path: '/', expect: 'Viewer ready', caCertificates: ca.certificate };
    expect(await probe({ host: HOST, port: viewer.port }, https)).toMatchObject({ healthy: true });
    expect(await probe({ host: HOST, port: viewer.port }, { ...https, serverName: 'viewer.lab.example' })).toMatchObject({ healthy: true });
    // Not the lab CA: verification fails, so the lab never passes a check by skipping verification.
    const other = await LabCertificateAuthority.create();
    expect(await probe({ host: HOST, port: viewer.port }, { ...https, caCertificates: other.certificate })).toMatchObject({ healthy: false });
    const dicom = await standIn({ protocol: 'dicom', tls, calledAeTitles: ['PACS'] });
    const check: CheckSpec = { protocol: 'dicom', timeoutMs: 3000, tls: true, caCertificates: ca.certificate, calledAeTitle: 'PACS' };
    expect(await probe({ host: HOST, port: dicom.port }, check)).toMatchObject({ healthy: true });
  });

  it('a stopped stand-in refuses connections and resets open ones; started again it passes', async () => {
    const server = new StandInServer('NODE2', '127.0.61.11', [
      { port: 0, protocol: 'tcp' },
      { port: 0, protocol: 'hl7' },
    ]);
    await server.start();
    running.push(server);
    const tcpPort = portOf(server, 0);
    const hl7Port = portOf(server, 1);
    expect(await probe({ host: '127.0.61.11', port: tcpPort }, { protocol: 'tcp', timeoutMs: 2000 })).toMatchObject({ healthy: true });
    const open = connect({ host: '127.0.61.11', port: hl7Port });
    await new Promise((resolve) => open.once('connect', resolve));
    const closed = new Promise((resolve) => open.once('close', resolve));
    open.on('error', () => undefined);
    await server.stop();
    await closed;
    expect(server.running).toBe(false);
    const refused = await probe({ host: '127.0.61.11', port: hl7Port }, { protocol: 'hl7', timeoutMs: 2000 });
    expect(refused).toMatchObject({ healthy: false });
    expect(refused.reason).toMatch(/refused/i);
    await server.start();
    expect(server.running).toBe(true);
  });
});
