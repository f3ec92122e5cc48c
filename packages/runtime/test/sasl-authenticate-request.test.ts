import { ByteReader } from '../src/connectors/kafka/wire/byte-reader';
import {
  decodeSaslAuthenticateResponse,
  encodeSaslAuthenticateRequest,
} from '../src/connectors/kafka/wire/sasl-authenticate-request';
import { encodeSaslHandshakeRequest } from '../src/connectors/kafka/wire/sasl-handshake-request';

const header = (apiKey: number, version: number, correlationId: number, clientId: string) =>
  Buffer.concat([
    Buffer.from([
      apiKey >> 8,
      apiKey & 0xff,
      0,
      version,
      0,
      0,
      0,
      correlationId,
      0,
      clientId.length,
    ]),
    Buffer.from(clientId),
  ]);
const framed = (body: Buffer) => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
};

describe('SASL requests on the wire', () => {
  const token = Buffer.from('n,,n=user,r=abc');

  it('frames SaslHandshake v1 with the mechanism', () => {
    expect(encodeSaslHandshakeRequest(7, 'sg', 'SCRAM-SHA-512')).toEqual(
      framed(
        Buffer.concat([header(17, 1, 7, 'sg'), Buffer.from([0, 13]), Buffer.from('SCRAM-SHA-512')]),
      ),
    );
  });

  it('frames SaslAuthenticate v0/v1 with int32 bytes and v2 flexibly (tagged fields, compact bytes)', () => {
    const int32 = Buffer.from([0, 0, 0, token.length]);
    expect(encodeSaslAuthenticateRequest(9, 'sg', 1, token)).toEqual(
      framed(Buffer.concat([header(36, 1, 9, 'sg'), int32, token])),
    );
    expect(encodeSaslAuthenticateRequest(9, 'sg', 2, token)).toEqual(
      framed(
        Buffer.concat([
          header(36, 2, 9, 'sg'),
          Buffer.from([0, token.length + 1]),
          token,
          Buffer.from([0]),
        ]),
      ),
    );
  });

  it('reads the answers of each version: error, message, the server message', () => {
    const reply = Buffer.from('r=abcdef,s=c2FsdA==,i=4096');
    const v0 = Buffer.concat([Buffer.from([0, 0, 0xff, 0xff, 0, 0, 0, reply.length]), reply]);
    expect(decodeSaslAuthenticateResponse(new ByteReader(v0), 0)).toEqual({
      errorCode: 0,
      errorMessage: null,
      authBytes: reply,
    });
    const v1 = Buffer.concat([v0, Buffer.alloc(8)]); // session lifetime
    expect(decodeSaslAuthenticateResponse(new ByteReader(v1), 1).authBytes).toEqual(reply);
    const message = Buffer.from('Authentication failed');
    const v2 = Buffer.concat([
      Buffer.from([0]), // response header tagged fields
      Buffer.from([0, 58, message.length + 1]),
      message,
      Buffer.from([1]), // empty auth bytes
      Buffer.alloc(8),
      Buffer.from([0]),
    ]);
    expect(decodeSaslAuthenticateResponse(new ByteReader(v2), 2)).toEqual({
      errorCode: 58,
      errorMessage: 'Authentication failed',
      authBytes: Buffer.alloc(0),
    });
  });
});
