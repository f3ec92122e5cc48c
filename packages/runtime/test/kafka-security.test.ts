import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import {
  describeKafkaSecurity,
  kafkaSecurityFromEnv,
  tlsConnectOptions,
} from '../src/connectors/kafka/kafka-security';
import { refusal } from './configuration-refusal';

const PASSWORD = 'pa55-w0rd!';

describe('Kafka security settings', () => {
  let dir: string;
  const file = (name: string, content: string) => {
    const at = path.join(dir, name);
    fs.writeFileSync(at, content);
    return at;
  };
  const pem = (kind: string) => `-----BEGIN ${kind}-----\nMIIB\n-----END ${kind}-----\n`;

  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-security-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is plaintext when nothing is set', () => {
    expect(kafkaSecurityFromEnv({})).toEqual({});
    expect(kafkaSecurityFromEnv({ KAFKA_SSL: 'false' })).toEqual({});
    expect(describeKafkaSecurity({})).toBe('PLAINTEXT');
  });

  it('reads SASL_SSL with SCRAM-SHA-512, a CA, a client certificate and a server name', () => {
    const ca = file('ca.pem', pem('CERTIFICATE'));
    const cert = file('client.pem', pem('CERTIFICATE'));
    const key = file('client.key', pem('PRIVATE KEY'));
    const security = kafkaSecurityFromEnv({
      KAFKA_SSL: 'TRUE',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SSL_SERVER_NAME: 'kafka.internal',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'jobs',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(security.sasl).toMatchObject({
      mechanism: 'scram-sha-512',
      username: 'jobs',
      passwordSetting: 'KAFKA_SASL_PASSWORD',
    });
    expect(security.sasl?.password.reveal()).toBe(PASSWORD);
    expect(tlsConnectOptions(security.tls!, '10.0.0.1')).toEqual({
      ca: Buffer.from(pem('CERTIFICATE')),
      cert: Buffer.from(pem('CERTIFICATE')),
      key: Buffer.from(pem('PRIVATE KEY')),
      servername: 'kafka.internal',
      rejectUnauthorized: true,
    });
    const line = describeKafkaSecurity(security);
    expect(line).toBe(
      `SASL_SSL, SCRAM-SHA-512 as user 'jobs', CA ${ca}, client certificate ${cert}, server name kafka.internal`,
    );
    // the password shows nowhere: not in the line, not in JSON or inspect of the settings
    for (const text of [line, JSON.stringify(security), inspect(security, { depth: 9 })]) {
      expect(text).not.toContain(PASSWORD);
    }
    expect(`${security.sasl?.password}`).toBe('***');
  });

  it('takes the server name from the host, none for an IP address, and says when certificates go unchecked', () => {
    const security = kafkaSecurityFromEnv({
      KAFKA_SSL: 'true',
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
    });
    expect(tlsConnectOptions(security.tls!, 'broker-1.example')).toEqual({
      servername: 'broker-1.example',
      rejectUnauthorized: false,
    });
    expect(tlsConnectOptions(security.tls!, '127.0.0.1')).toEqual({ rejectUnauthorized: false });
    expect(describeKafkaSecurity(security)).toBe('SSL, system CAs, certificates NOT verified');
  });

  it('reads the password from KAFKA_SASL_PASSWORD_FILE without its final newline', () => {
    const security = kafkaSecurityFromEnv({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'jobs',
      KAFKA_SASL_PASSWORD_FILE: file('password', `${PASSWORD}\n`),
    });
    expect(security.sasl?.password.reveal()).toBe(PASSWORD);
    expect(security.sasl?.passwordSetting).toBe('KAFKA_SASL_PASSWORD_FILE');
    expect(describeKafkaSecurity(security)).toBe("SASL_PLAINTEXT, PLAIN as user 'jobs'");
  });

  it('refuses half a configuration, naming the settings', () => {
    const sasl = { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'jobs' };
    expect(refusal(() => kafkaSecurityFromEnv({ KAFKA_SSL: 'yes' }))).toBe(
      'KAFKA_SSL must be true or false, got "yes"',
    );
    expect(refusal(() => kafkaSecurityFromEnv({ KAFKA_SASL_MECHANISM: 'GSSAPI' }))).toBe(
      'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, got "GSSAPI"',
    );
    expect(refusal(() => kafkaSecurityFromEnv(sasl))).toBe(
      "KAFKA_SASL_USERNAME is 'jobs' but neither KAFKA_SASL_PASSWORD nor KAFKA_SASL_PASSWORD_FILE is set",
    );
    expect(refusal(() => kafkaSecurityFromEnv({ KAFKA_SASL_MECHANISM: 'plain' }))).toBe(
      'KAFKA_SASL_MECHANISM is plain but KAFKA_SASL_USERNAME is not set',
    );
    expect(
      refusal(() => kafkaSecurityFromEnv({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })),
    ).toMatch(/^KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is not/);
    expect(
      refusal(() =>
        kafkaSecurityFromEnv({
          ...sasl,
          KAFKA_SASL_PASSWORD: PASSWORD,
          KAFKA_SASL_PASSWORD_FILE: file('p2', PASSWORD),
        }),
      ),
    ).toBe('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: set one of them');
    expect(
      refusal(() => kafkaSecurityFromEnv({ KAFKA_SSL_CA_FILE: file('ca2', pem('CERTIFICATE')) })),
    ).toBe(
      'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true: set KAFKA_SSL=true to connect to Kafka with TLS',
    );
    expect(
      refusal(() =>
        kafkaSecurityFromEnv({
          KAFKA_SSL: 'true',
          KAFKA_SSL_CERT_FILE: file('c3', pem('CERTIFICATE')),
        }),
      ),
    ).toMatch(/^KAFKA_SSL_CERT_FILE is set but KAFKA_SSL_KEY_FILE is not/);
  });

  it('refuses files it cannot read or that hold no PEM, without quoting their content', () => {
    const missing = path.join(dir, 'nope.pem');
    expect(
      refusal(() => kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: missing })),
    ).toBe(`KAFKA_SSL_CA_FILE: cannot read "${missing}" (no such file)`);
    const notPem = file('key.der', `secret-key-bytes ${PASSWORD}`);
    const message = refusal(() =>
      kafkaSecurityFromEnv({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CERT_FILE: file('c4', pem('CERTIFICATE')),
        KAFKA_SSL_KEY_FILE: notPem,
      }),
    );
    expect(message).toBe(
      `KAFKA_SSL_KEY_FILE: "${notPem}" holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
    );
    expect(
      refusal(() =>
        kafkaSecurityFromEnv({
          KAFKA_SASL_MECHANISM: 'plain',
          KAFKA_SASL_USERNAME: 'u',
          KAFKA_SASL_PASSWORD_FILE: dir,
        }),
      ),
    ).toBe(`KAFKA_SASL_PASSWORD_FILE: cannot read "${dir}" (a directory, not a file)`);
  });
});
