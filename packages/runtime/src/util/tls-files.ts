import { ConfigurationError } from './errors';
import { readSettingFile, type SettingFile } from './setting-file';

/** The PEM files of a TLS client: the CA to trust, and a client certificate with its key. */
export interface TlsFiles {
  readonly ca?: SettingFile;
  readonly cert?: SettingFile;
  readonly key?: SettingFile;
}

/**
 * `<prefix>_CA_FILE`, `<prefix>_CERT_FILE` and `<prefix>_KEY_FILE` (e.g. KAFKA_SSL_CA_FILE),
 * read and checked to hold PEM; a certificate needs its key and the other way round.
 */
export function tlsFilesFromEnv(env: NodeJS.ProcessEnv, prefix: string): TlsFiles {
  const ca = pem(readSettingFile(env, `${prefix}_CA_FILE`), 'CERTIFICATE');
  const cert = pem(readSettingFile(env, `${prefix}_CERT_FILE`), 'CERTIFICATE');
  const key = pem(readSettingFile(env, `${prefix}_KEY_FILE`), 'PRIVATE KEY');
  if (cert && !key) {
    throw new ConfigurationError(
      `${prefix}_CERT_FILE is set but ${prefix}_KEY_FILE is not: a client certificate needs its private key`,
    );
  }
  if (key && !cert) {
    throw new ConfigurationError(
      `${prefix}_KEY_FILE is set but ${prefix}_CERT_FILE is not: a private key needs its client certificate`,
    );
  }
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

/** The settings of `files` that are set, by name (to refuse them where TLS is off). */
export function tlsFileSettings(files: TlsFiles): string[] {
  return [files.ca, files.cert, files.key].filter((f) => f !== undefined).map((f) => f.setting);
}

/** What node:tls takes from the files. */
export function tlsFileOptions(files: TlsFiles): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  return {
    ...(files.ca && { ca: files.ca.content }),
    ...(files.cert && { cert: files.cert.content }),
    ...(files.key && { key: files.key.content }),
  };
}

/** For a start-up line: `CA /path, client certificate /path` (no content). */
export function describeTlsFiles(files: TlsFiles): string[] {
  return [
    files.ca ? `CA ${files.ca.path}` : 'system CAs',
    ...(files.cert ? [`client certificate ${files.cert.path}`] : []),
  ];
}

/** `file` when it holds a PEM block of `kind` ("PRIVATE KEY" also matches "RSA PRIVATE KEY"). */
function pem(file: SettingFile | undefined, kind: string): SettingFile | undefined {
  if (!file) return undefined;
  const text = file.content.toString('latin1');
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text)) {
    throw new ConfigurationError(
      `${file.setting}: "${file.path}" holds no PEM ${kind === 'CERTIFICATE' ? 'certificate' : 'private key'} (-----BEGIN ${kind}-----)`,
    );
  }
  return file;
}
