import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { ScramClient } from '../src/connectors/kafka/wire/scram-client';
import { SaslVerificationError } from '../src/connectors/kafka/wire/sasl-exchange';
import { Secret } from '../src/util/secret';

describe('SCRAM client', () => {
  // RFC 7677 §3: SCRAM-SHA-256, user "user", password "pencil"
  const clientNonce = 'rOprNGfwEbeRWgbNEkqO';
  const serverFirst =
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const clientFinal =
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,' +
    'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
  const serverFinal = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';
  const rfcClient = () =>
    new ScramClient('scram-sha-256', 'user', new Secret('pencil'), clientNonce);

  it('computes the messages of the RFC 7677 example and accepts its server signature', async () => {
    const client = rfcClient();
    expect(client.first().toString()).toBe(`n,,n=user,r=${clientNonce}`);
    expect((await client.next(Buffer.from(serverFirst)))?.toString()).toBe(clientFinal);
    expect(await client.next(Buffer.from(serverFinal))).toBeUndefined();
  });

  it('does not trust a server whose signature does not match', async () => {
    const client = rfcClient();
    client.first();
    await client.next(Buffer.from(serverFirst));
    const forged = `v=${Buffer.alloc(32, 7).toString('base64')}`;
    await expect(client.next(Buffer.from(forged))).rejects.toThrow(
      new SaslVerificationError(
        "the server's signature does not match: it does not know the user's credentials",
      ),
    );
  });

  it("refuses a server nonce that does not extend the client's, and too few iterations", async () => {
    const other = rfcClient();
    other.first();
    await expect(other.next(Buffer.from('r=someone-else,s=W22Z,i=4096'))).rejects.toThrow(
      "the server's nonce does not extend the client's",
    );
    const weak = rfcClient();
    weak.first();
    await expect(
      weak.next(Buffer.from(`r=${clientNonce}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`)),
    ).rejects.toThrow('the server asks for 1 iterations, fewer than 4096');
  });

  it('proves SCRAM-SHA-512 to a server holding only the stored key, and escapes the user name', async () => {
    const salt = Buffer.from('salt-of-the-server');
    const salted = pbkdf2Sync('s3cret', salt, 4096, 64, 'sha512');
    const hmac = (key: Buffer, text: string) => createHmac('sha512', key).update(text).digest();
    const storedKey = createHash('sha512').update(hmac(salted, 'Client Key')).digest();
    const serverKey = hmac(salted, 'Server Key');

    const client = new ScramClient('scram-sha-512', 'a=b,c', new Secret('s3cret'), 'cnonce');
    const first = client.first().toString();
    expect(first).toBe('n,,n=a=3Db=2Cc,r=cnonce');
    const serverFirst512 = `r=cnonce-snonce,s=${salt.toString('base64')},i=4096`;
    const final = (await client.next(Buffer.from(serverFirst512)))!.toString();
    const withoutProof = final.slice(0, final.indexOf(',p='));
    const proof = Buffer.from(final.slice(final.indexOf(',p=') + 3), 'base64');
    // the server's check (RFC 5802 §3): H(proof XOR HMAC(StoredKey, AuthMessage)) == StoredKey
    const authMessage = `${first.slice(3)},${serverFirst512},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]));
    expect(createHash('sha512').update(clientKey).digest()).toEqual(storedKey);
    const verifier = `v=${hmac(serverKey, authMessage).toString('base64')}`;
    expect(await client.next(Buffer.from(verifier))).toBeUndefined();
  });
});
