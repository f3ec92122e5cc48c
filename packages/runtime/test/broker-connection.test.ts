/**
 * Response framing of the producer's broker connection, against a local TCP server
 * that answers the way a broker's network layer may: frames split across writes,
 * several in one write, out of the order asked, or garbage.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { BrokerConnection } from '../src/connectors/kafka/wire/broker-connection';
import type { ByteReader } from '../src/connectors/kafka/wire/byte-reader';

let server: Server;
let port: number;
let answer: (socket: Socket, requests: Buffer[]) => void;

beforeAll(async () => {
  server = createServer((socket) => {
    const requests: Buffer[] = [];
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        const size = received.readInt32BE(0);
        requests.push(received.subarray(4, 4 + size));
        received = received.subarray(4 + size);
      }
      answer(socket, requests);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

/** A request frame: size, correlation id, then `value`. */
const request = (value: number) => (id: number) => {
  const frame = Buffer.alloc(4 + 8);
  frame.writeInt32BE(8, 0);
  frame.writeInt32BE(id, 4);
  frame.writeInt32BE(value, 8);
  return frame;
};
const idOf = (body: Buffer) => body.readInt32BE(0);
const valueOf = (body: Buffer) => body.readInt32BE(4);
/** A response frame: correlation id, then the value asked for times 10. */
const response = (body: Buffer) => {
  const frame = Buffer.alloc(4 + 8);
  frame.writeInt32BE(8, 0);
  frame.writeInt32BE(idOf(body), 4);
  frame.writeInt32BE(valueOf(body) * 10, 8);
  return frame;
};
const readValue = (reader: ByteReader) => reader.int32();

test('matches responses split byte by byte, packed together and out of order', async () => {
  answer = (socket, requests) => {
    if (requests.length < 3) return;
    const [a, b, c] = requests.splice(0).map(response);
    const packed = Buffer.concat([c, a]);
    for (let i = 0; i < b.length; i++) socket.write(b.subarray(i, i + 1));
    socket.write(packed);
  };
  const connection = await BrokerConnection.open('127.0.0.1', port, 1_000);
  try {
    const values = await Promise.all(
      [1, 2, 3].map((v) => connection.request(request(v), readValue, 2_000)),
    );
    expect(values).toEqual([10, 20, 30]);
  } finally {
    connection.close();
  }
});

test('a garbage frame size fails every request in flight instead of looping', async () => {
  answer = (socket) => {
    const bad = Buffer.alloc(8);
    bad.writeInt32BE(-5, 0);
    socket.write(bad);
  };
  const connection = await BrokerConnection.open('127.0.0.1', port, 1_000);
  await expect(connection.request(request(1), readValue, 2_000)).rejects.toThrow(
    /response frame of -5 bytes/,
  );
  expect(connection.usable).toBe(false);
});

test('a request with no answer times out and breaks the connection', async () => {
  answer = () => {};
  const connection = await BrokerConnection.open('127.0.0.1', port, 1_000);
  await expect(connection.request(request(1), readValue, 100)).rejects.toThrow(
    /no response within 100 ms/,
  );
  await expect(connection.request(request(2), readValue, 100)).rejects.toThrow(/no response/);
});
