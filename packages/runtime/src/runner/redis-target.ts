import { ConfigurationError } from '../util/errors';
import {
  describeTlsFiles,
  tlsFileOptions,
  tlsFileSettings,
  tlsFilesFromEnv,
  type TlsFiles,
} from '../util/tls-files';

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** The CA (and client certificate) of TLS connections, from REDIS_TLS_*_FILE; none: system CAs. */
export interface RedisTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Which files, for messages. */
  readonly files: TlsFiles;
}

/** Which Redis a runner keeps its state in, read from the environment. */
export type RedisTarget = (
  | {
      readonly kind: 'standalone';
      /** As given: ioredis reads it (options in the query, a database in the path). */
      readonly url: string;
      /** For logs: the URL with the password replaced by `***`. */
      readonly display: string;
    }
  | {
      readonly kind: 'cluster';
      /** Seed nodes: the client discovers the other masters and replicas from them. */
      readonly nodes: readonly RedisNodeAddress[];
      /** Apply to every node, seeds and discovered ones alike. */
      readonly username?: string;
      readonly password?: string;
      readonly tls: boolean;
      /** For logs: the seeds, and whether credentials and TLS are used; never a secret. */
      readonly display: string;
    }
) & {
  /** Set only with TLS (rediss://) and REDIS_TLS_CA_FILE or REDIS_TLS_CERT_FILE. */
  readonly tlsOptions?: RedisTlsOptions;
};

const FORM =
  'a comma list of host:port, optionally as redis://[user:password@]host:port,host:port (rediss:// for TLS)';

/**
 * REDIS_CLUSTER_NODES (cluster seeds, even a single one) or REDIS_URL (one node, or
 * cluster seeds when it lists several separated by commas); undefined when neither is
 * set. Setting both is refused, as it is unclear which one the state is meant to be in.
 * With rediss://, REDIS_TLS_CA_FILE names the CA to trust instead of the system's, and
 * REDIS_TLS_CERT_FILE with REDIS_TLS_KEY_FILE a client certificate.
 */
export function redisTarget(env: NodeJS.ProcessEnv): RedisTarget | undefined {
  const target = targetOf(env);
  const files = tlsFilesFromEnv(env, 'REDIS_TLS');
  const given = tlsFileSettings(files);
  if (given.length === 0) return target;
  const variable = env.REDIS_CLUSTER_NODES?.trim() ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
  const tls = target?.kind === 'cluster' ? target.tls : /^rediss:\/\//i.test(target?.url ?? '');
  if (!target || !tls) {
    throw new ConfigurationError(
      `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set but ${target ? `${variable} is not a rediss:// URL` : 'neither REDIS_URL nor REDIS_CLUSTER_NODES is'}: TLS to Redis is asked for with rediss://`,
    );
  }
  return {
    ...target,
    display: `${target.display} (${describeTlsFiles(files).join(', ')})`,
    tlsOptions: { ...tlsFileOptions(files), files },
  };
}

function targetOf(env: NodeJS.ProcessEnv): RedisTarget | undefined {
  const nodes = env.REDIS_CLUSTER_NODES?.trim();
  const url = env.REDIS_URL?.trim();
  if (nodes && url) {
    throw new ConfigurationError(
      'REDIS_CLUSTER_NODES and REDIS_URL are both set: set REDIS_CLUSTER_NODES for a Redis Cluster, or REDIS_URL alone',
    );
  }
  if (nodes) return clusterTarget(nodes, 'REDIS_CLUSTER_NODES');
  if (!url) return undefined;
  // A host of a URL never holds a comma, so one after the credentials can only
  // separate nodes; commas inside the credentials are left alone.
  if (splitUrl(url).hosts.includes(',')) return clusterTarget(url, 'REDIS_URL');
  return { kind: 'standalone', url, display: redactUrl(url) };
}

/**
 * `url` with its password hidden: all of the credentials but the user name, and a
 * `password` option in the query (ioredis reads one there too).
 */
export function redactUrl(url: string): string {
  const { scheme, userinfo, hosts, rest } = splitUrl(url);
  const options = rest.replace(/([?&]password=)[^&#]*/gi, '$1***');
  if (userinfo === undefined) return `${scheme}${hosts}${options}`;
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? '' : userinfo.slice(0, colon);
  return `${scheme}${user}${user ? ':' : ''}***@${hosts}${options}`;
}

interface UrlParts {
  readonly scheme: string;
  readonly userinfo?: string;
  readonly hosts: string;
  readonly rest: string;
}

/**
 * Scheme, credentials, host list and the rest (path, query). The credentials end at
 * the last `@` of the whole URL, not at the first `/`, `?` or `#`: URL syntax wants
 * those percent-encoded in a password, but a secret written raw must still be found
 * (and hidden), and a host never holds an `@`.
 */
function splitUrl(url: string): UrlParts {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : afterScheme.slice(0, at);
  const afterCredentials = afterScheme.slice(at + 1);
  const end = afterCredentials.search(/[/?#]/);
  const hosts = end < 0 ? afterCredentials : afterCredentials.slice(0, end);
  const rest = end < 0 ? '' : afterCredentials.slice(end);
  return userinfo === undefined ? { scheme, hosts, rest } : { scheme, userinfo, hosts, rest };
}

function clusterTarget(value: string, variable: string): RedisTarget {
  const { scheme, userinfo, hosts, rest } = splitUrl(value);
  const protocol = scheme.slice(0, -3).toLowerCase();
  if (scheme && protocol !== 'redis' && protocol !== 'rediss') {
    throw new ConfigurationError(`${variable} must be ${FORM}, not a ${protocol}:// URL`);
  }
  // A Cluster has database 0 only, and ioredis' URL options do not carry over to
  // its node connections, so anything after the hosts would be silently dropped.
  if (rest !== '' && rest !== '/' && rest !== '/0') {
    throw new ConfigurationError(
      `${variable} lists Redis Cluster nodes, which take no database or options after the hosts (a Cluster has database 0 only; credentials go before the hosts)`,
    );
  }
  const entries = hosts
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const nodes = entries.map(parseNode);
  const bad = entries.filter((_, i) => nodes[i] === undefined);
  if (entries.length === 0 || bad.length > 0) {
    const which = bad.length > 0 ? `: not host:port: ${bad.map((b) => `"${b}"`).join(', ')}` : '';
    throw new ConfigurationError(`${variable} must be ${FORM}${which}`);
  }
  const { username, password } = credentials(userinfo, variable);
  const tls = protocol === 'rediss';
  const addresses = nodes as RedisNodeAddress[];
  const notes = [
    // not the name itself: `redis://secret@host` is sometimes meant as a password
    username !== undefined ? 'user set' : '',
    password !== undefined ? 'password set' : '',
    tls ? 'TLS' : '',
  ].filter(Boolean);
  return {
    kind: 'cluster',
    nodes: addresses,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    tls,
    display: `${addresses.map(formatNode).join(',')}${notes.length ? ` (${notes.join(', ')})` : ''}`,
  };
}

function parseNode(entry: string): RedisNodeAddress | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@,]+):(\d{1,5})$/i.exec(entry);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function formatNode(node: RedisNodeAddress): string {
  return `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`;
}

/** User and password, percent-decoded as in a URL; an empty user is Redis' default user. */
function credentials(
  userinfo: string | undefined,
  variable: string,
): { username?: string; password?: string } {
  if (userinfo === undefined) return {};
  const colon = userinfo.indexOf(':');
  const decode = (text: string, what: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      // the text itself may be the secret: say where it is wrong, not what it is
      throw new ConfigurationError(
        `${variable}: the ${what} is not valid percent-encoding (write % as %25)`,
      );
    }
  };
  const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
  const password = colon < 0 ? undefined : decode(userinfo.slice(colon + 1), 'password');
  return {
    ...(user !== '' && { username: user }),
    ...(password !== undefined && { password }),
  };
}
