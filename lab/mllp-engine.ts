/**
 * The lab's stand-in for an HL7 interface engine: an MLLP receiver (HL7 v2, MLLP release 1 framing) that
 * acknowledges every message with an original-mode ACK (MSA-1 `AA`, MSA-2 the message's MSH-10), written with
 * the message's own separators, on the connection it came in on. Senders keep one connection and send many
 * messages; so does this engine.
 */
import type { Socket } from 'node:net';

const START = 0x0b;
const END = Buffer.from([0x1c, 0x0d]);
/** A frame larger than this is no HL7 message a lab needs: the connection is closed. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** The connection handler of the engine. */
export function mllpEngine(): (socket: Socket) => void {
  return (socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const start = buffered.indexOf(START);
        if (start === -1) {
          buffered = Buffer.alloc(0);
          return;
        }
        const end = buffered.indexOf(END, start);
        if (end === -1) {
          if (buffered.length - start > MAX_FRAME_BYTES) socket.destroy();
          return;
        }
        const message = buffered.subarray(start + 1, end).toString('latin1');
        buffered = buffered.subarray(end + END.length);
        socket.write(Buffer.concat([Buffer.from([START]), Buffer.from(acknowledgement(message), 'latin1'), END]));
      }
    });
    socket.on('error', () => undefined);
  };
}

/** The ACK of a message: MSH with sender and receiver swapped, then MSA|AA|<MSH-10>. */
export function acknowledgement(message: string): string {
  const msh = message.split(/\r\n?|\n/).find((segment) => segment.startsWith('MSH')) ?? 'MSH|^~\\&';
  const separator = msh.charAt(3) || '|';
  const fields = msh.split(separator);
  // fields[1] is MSH-2 (MSH-1 is the separator itself), so MSH-n is fields[n - 1].
  const field = (n: number) => fields[n - 1] ?? '';
  const component = field(2).charAt(0) || '^';
  const trigger = field(9).split(component)[1] ?? '';
  const now = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const header = ['MSH', field(2) || '^~\\&', field(5), field(6), field(3), field(4), now, '', ['ACK', trigger, 'ACK'].join(component), `LAB${Date.now()}`, field(11) || 'P', field(12) || '2.5'];
  return `${header.join(separator)}\rMSA${separator}AA${separator}${field(10)}\r`;
}
