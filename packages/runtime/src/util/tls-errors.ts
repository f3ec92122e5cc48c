import type { TlsFiles } from './tls-files';

/** The TLS settings of one kind of connection, to name the one an error is about. */
export interface TlsSettings {
  /** Prefix of the file settings: `KAFKA_SSL` for KAFKA_SSL_CA_FILE, ... */
  readonly prefix: string;
  readonly files: TlsFiles;
  /** Who the certificate belongs to: "the broker", "the Redis server". */
  readonly peer: string;
  /** The setting of the name to check the certificate for, if there is one. */
  readonly serverNameSetting?: string;
  /** What turns TLS on: "KAFKA_SSL=true", "a rediss:// URL". */
  readonly enabledBy: string;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/**
 * What a connection error means for the TLS settings, naming the one to look at: an
 * untrusted certificate (the CA file), a name the certificate does not carry, a client
 * certificate refused (the certificate and key files), a port that does not speak TLS.
 * Other errors keep their message.
 */
export function explainTlsError(
  error: { readonly message: string; readonly code?: string },
  settings: TlsSettings,
): string {
  const { message } = error;
  const { prefix, files, peer } = settings;
  const code = error.code ?? '';
  if (UNTRUSTED.has(code)) {
    return files.ca
      ? `${peer}'s TLS certificate is not signed by the CA in ${prefix}_CA_FILE (${files.ca.path}): ${message}`
      : `${peer}'s TLS certificate is not signed by a CA this system trusts: set ${prefix}_CA_FILE to the CA that signed it (${message})`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `${peer}'s TLS certificate is not valid now: ${message}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const fix = settings.serverNameSetting
      ? `: set ${settings.serverNameSetting} to a name it carries`
      : '';
    return `${peer}'s TLS certificate is not for this host (${message})${fix}`;
  }
  if (
    /alert (bad certificate|certificate required|unknown ca|certificate unknown)/i.test(message)
  ) {
    return `${peer} refused the client certificate (${message}): check ${prefix}_CERT_FILE and ${prefix}_KEY_FILE`;
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return `TLS handshake failed (${message}): does ${peer} take TLS on this port? (${settings.enabledBy})`;
  }
  return message;
}
