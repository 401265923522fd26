/**
 * Adversarial MLLP peers for the hl7 probe tests. Each is a real TCP server on its own loopback address (port 0)
 * that answers in one precise (mis)behaving way. Framing and ACKs are written here by hand, independently of
 * lambda/probes/{mllp,hl7}.ts, so a bug in the probe cannot hide behind the same bug in its peer. The healthy path
 * is tested against node-hl7-server, an npm MLLP server.
 */
import * as net from 'node:net';
import { listenOnLoopback } from './loopback';

const VT = '\x0b';
const FS_CR = '\x1c\x0d';

/** How the peer answers a received message. */
export type Hl7PeerMode =
  /** A healthy receiver: an AA ACK for every message, on the same connection. */
  | 'ack-aa'
  /** ACK with MSA-1=AE, MSA-3 text and an ERR segment. */
  | 'ack-ae'
  /** ACK with MSA-1=AR and only an ERR segment (v2.5 ERR-3 code, ERR-8 user message) explaining why. */
  | 'ack-ar'
  /** AA ACK, but MSA-2 names another control id. */
  | 'wrong-control-id'
  /** A well-formed AA ACK without MLLP framing. */
  | 'unframed'
  /** Accepts the connection, reads, never answers. */
  | 'silent'
  /** Random-looking binary bytes (framed, so the ACK parser sees them). */
  | 'garbage'
  /** Starts a frame and sends 100 KiB without ever ending it. */
  | 'oversized'
  /** AA ACK using `#` as field separator and `^~\&` encoding characters. */
  | 'hash-separators'
  /** AE ACK using `#` field separator, `$` component separator and an escaped text (\F\ = `#`). */
  | 'hash-separators-ae'
  /** AA ACK split into 1-byte writes (tests reassembly across TCP reads). */
  | 'drip'
  /** Closes the connection as soon as the message arrives. */
  | 'close'
  /** An ACK without MSA segment. */
  | 'no-msa';

/** A running peer. `received` holds every message payload it got (unframed). */
export interface Hl7Peer {
  readonly host: string;
  readonly port: number;
  readonly received: string[];
  close(): Promise<void>;
}

/** MSH-10 of a message in the standard `|` field separator (what the probe sends). */
function controlIdOf(message: string): string {
  return message.split('\r')[0]?.split('|')[9] ?? '';
}

function ack(code: string, controlId: string, extraSegments: string[] = []): string {
  return [
    `MSH|^~\\&|PEER|HOSP|MEDLB|MEDLB|20261124120000||ACK^N02^ACK|PEER${Date.now()}|P|2.5`,
    `MSA|${code}|${controlId}`,
    ...extraSegments,
  ].join('\r') + '\r';
}

function reply(mode: Hl7PeerMode, controlId: string): string | Buffer | undefined {
  switch (mode) {
    case 'ack-aa':
      return VT + ack('AA', controlId) + FS_CR;
    case 'ack-ae':
      return VT + ack('AE', controlId).replace(`MSA|AE|${controlId}`, `MSA|AE|${controlId}|Unknown message type NMD`) + 'ERR|^^^207&Application internal error&HL70357\r' + FS_CR;
    case 'ack-ar':
      return VT + ack('AR', controlId, ['ERR||MSH^1^9|200^Unsupported message type^HL70357|E||||Interface rejects N02']) + FS_CR;
    case 'wrong-control-id':
      return VT + ack('AA', `${controlId}X`) + FS_CR;
    case 'unframed':
      return ack('AA', controlId);
    case 'silent':
      return undefined;
    case 'garbage':
      return Buffer.concat([Buffer.from([0x0b]), Buffer.from('\x00\xff\x13\x37binary\x01\x02', 'latin1'), Buffer.from([0x1c, 0x0d])]);
    case 'oversized':
      return Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(100 * 1024, 0x41)]);
    case 'hash-separators':
      return `${VT}MSH#^~\\&#PEER#HOSP#MEDLB#MEDLB#20261124120000##ACK^N02#P1#P#2.5\rMSA#AA#${controlId}\r${FS_CR}`;
    case 'hash-separators-ae':
      return `${VT}MSH#$~\\&#PEER#HOSP#MEDLB#MEDLB#20261124120000##ACK$N02#P1#P#2.5\rMSA#AE#${controlId}#Queue \\F\\3 full$retry later\r${FS_CR}`;
    case 'drip':
      return VT + ack('AA', controlId) + FS_CR;
    case 'close':
      return undefined;
    case 'no-msa':
      return `${VT}MSH|^~\\&|PEER|HOSP|MEDLB|MEDLB|20261124120000||ACK|P1|P|2.5\r${FS_CR}`;
  }
}

/** Starts a peer in `mode` on `host` (a 127.0.0.x address), at `port` or an ephemeral one. */
export async function startHl7Peer(mode: Hl7PeerMode, host: string, port = 0): Promise<Hl7Peer> {
  const timers = new Set<NodeJS.Timeout>();
  const received: string[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf(FS_CR);
      if (end === -1) return;
      const message = buffered.slice(buffered.indexOf(VT) + 1, end);
      buffered = buffered.slice(end + 2);
      received.push(message);
      if (mode === 'close') {
        socket.destroy();
        return;
      }
      const answer = reply(mode, controlIdOf(message));
      if (answer === undefined) return;
      if (mode !== 'drip') {
        socket.write(answer);
        return;
      }
      const bytes = typeof answer === 'string' ? Buffer.from(answer, 'latin1') : answer;
      let index = 0;
      const next = (): void => {
        if (socket.destroyed || index >= bytes.length) return;
        socket.write(bytes.subarray(index, index + 1));
        index += 1;
        const timer = setTimeout(next, 1);
        timers.add(timer);
      };
      next();
    });
  });
  const listener = await listenOnLoopback(server, host, () => timers.forEach(clearTimeout), port);
  return { host, port: listener.port, received, close: listener.close };
}
