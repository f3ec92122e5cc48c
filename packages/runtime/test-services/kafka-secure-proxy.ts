/**
 * A test-only Kafka proxy that gives the mock cluster (which speaks neither TLS nor
 * SASL) the security of a production one: one port per mock broker, TLS with a CA
 * made for the run (./test-certificates) and/or SASL PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512 performed on the broker side (./kafka-proxy-connection), and the
 * broker addresses in Metadata and FindCoordinator answers rewritten to the
 * proxy's ports, so clients never reach the mock directly.
 *
 *   const proxy = await startSecureKafkaProxy({
 *     brokers: kafka.brokers, tls: true,
 *     sasl: { mechanisms: ['SCRAM-SHA-512'], users: { alice: 'secret' } },
 *   });
 *   // kafkajs: { brokers: proxy.brokers, ssl: { ca: [proxy.caPem] }, sasl: {...} }
 *
 * No test-framework dependency.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ProxyConnection } from './kafka-proxy-connection';
import type { Address } from './kafka-response-rewrite';
import { SaslUsers, type SaslMechanism } from './sasl-server';
import { generateTestCertificates } from './test-certificates';

export interface SecureKafkaProxyOptions {
  /** The mock's brokers, `host:port` each, as it advertises them. */
  readonly brokers: readonly string[];
  /** Terminate TLS (server certificate from a CA made for this proxy). Default false. */
  readonly tls?: boolean;
  /** Require SASL with these mechanisms and users (name -> password). */
  readonly sasl?: {
    readonly mechanisms: readonly SaslMechanism[];
    readonly users: Readonly<Record<string, string>>;
  };
}

export interface SecureKafkaProxy {
  /** The proxy's bootstrap servers, one per mock broker, in the same order. */
  readonly brokers: string[];
  /** The CA certificate clients must trust (undefined without TLS). */
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  /** Client connections accepted (after the TLS handshake, with TLS). */
  connections(): number;
  /** Accepted connections per broker, in `brokers` order. */
  connectionsByBroker(): number[];
  /** SASL exchanges refused (wrong password, unknown user or mechanism). */
  authFailures(): number;
  /** TLS handshakes that failed. */
  tlsFailures(): number;
  /** Why connections were closed by the proxy: requests before authentication, unreadable frames. */
  refusals(): readonly string[];
  close(): Promise<void>;
}

function address(hostPort: string): Address {
  const at = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) throw new Error(`not host:port: ${hostPort}`);
  return { host: hostPort.slice(0, at), port };
}

const key = (a: Address) => `${a.host}:${a.port}`;

export async function startSecureKafkaProxy(
  opts: SecureKafkaProxyOptions,
): Promise<SecureKafkaProxy> {
  const upstreams = opts.brokers.map(address);
  const certs = opts.tls ? generateTestCertificates('stream-gen Kafka proxy') : undefined;
  const users = opts.sasl ? new SaslUsers(opts.sasl.users) : undefined;
  const sasl = opts.sasl && users ? { mechanisms: opts.sasl.mechanisms, users } : undefined;
  const byMock = new Map<string, Address>();
  const perBroker = upstreams.map(() => 0);
  const open = new Set<ProxyConnection>();
  const refusals: string[] = [];
  let authFailures = 0;
  let tlsFailures = 0;

  const servers = upstreams.map((upstream, i) => {
    const accept = (socket: net.Socket) => {
      perBroker[i]++;
      const conn = new ProxyConnection(socket, {
        upstream,
        sasl,
        rewrite: {
          addresses: (mock) => byMock.get(key(mock)),
          advertiseSasl: sasl !== undefined,
        },
        events: {
          authFailure: () => authFailures++,
          refused: (reason) => refusals.push(reason),
        },
      });
      open.add(conn);
      socket.once('close', () => open.delete(conn));
    };
    if (!certs) return net.createServer(accept);
    const server = tls.createServer({ key: certs.keyPem, cert: certs.certPem }, accept);
    server.on('tlsClientError', () => tlsFailures++);
    return server;
  });

  try {
    await Promise.all(
      servers.map(
        (server, i) =>
          new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => {
              const port = (server.address() as net.AddressInfo).port;
              byMock.set(key(upstreams[i]), { host: '127.0.0.1', port });
              resolve();
            });
          }),
      ),
    );
  } catch (e) {
    servers.forEach((s) => s.close());
    certs?.remove();
    throw e;
  }

  return {
    brokers: upstreams.map((u) => key(byMock.get(key(u))!)),
    caFile: certs?.caFile,
    caPem: certs?.caPem,
    connections: () => perBroker.reduce((a, b) => a + b, 0),
    connectionsByBroker: () => [...perBroker],
    authFailures: () => authFailures,
    tlsFailures: () => tlsFailures,
    refusals: () => refusals,
    close: async () => {
      open.forEach((c) => c.close());
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      certs?.remove();
    },
  };
}
