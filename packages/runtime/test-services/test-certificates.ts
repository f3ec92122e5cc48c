/**
 * A throw-away certificate authority and a server certificate it signed (for
 * 127.0.0.1 and localhost), made at test time with the `openssl` command line
 * into a temp dir: P-256 keys, valid for two days. No test-framework dependency.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCertificates {
  readonly dir: string;
  /** The CA certificate: what a client trusts. */
  readonly caFile: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Removes the temp dir. */
  remove(): void;
}

const leftBehind = new Set<string>();
let exitHook = false;

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(
      `openssl ${args.join(' ')} failed: ${err.stderr?.toString().trim() || err.message}\n` +
        'The test certificates need the openssl command (Debian: `apt-get install -y openssl`).',
      { cause: e },
    );
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A new CA and a server certificate signed by it, in a new temp dir. */
export function generateTestCertificates(name = 'stream-gen test'): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-gen-certs-'));
  leftBehind.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () =>
      leftBehind.forEach((d) => fs.rmSync(d, { recursive: true, force: true })),
    );
  }
  const remove = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    leftBehind.delete(dir);
  };
  try {
    // prettier-ignore
    openssl(dir, [
      'req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
      '-subj', `/CN=${name} CA`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    openssl(dir, [
      'req',
      ...EC_KEY,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ]);
    fs.writeFileSync(
      path.join(dir, 'server.ext'),
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' +
        'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
    );
    // prettier-ignore
    openssl(dir, [
      'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext',
    ]);
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    return {
      dir,
      caFile: path.join(dir, 'ca.pem'),
      caPem: read('ca.pem'),
      certPem: read('server.pem'),
      keyPem: read('server.key'),
      remove,
    };
  } catch (e) {
    remove();
    throw e;
  }
}
