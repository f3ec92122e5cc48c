import { redactUrl, redisTarget } from '../src/runner/redis-target';
import { refusal } from './configuration-refusal';

describe('redisTarget', () => {
  it('is undefined when neither variable is set', () => {
    expect(redisTarget({})).toBeUndefined();
    expect(redisTarget({ REDIS_URL: '', REDIS_CLUSTER_NODES: '  ' })).toBeUndefined();
  });

  it('passes a one-node REDIS_URL on as it is, for ioredis to read', () => {
    for (const url of [
      'redis://localhost:6379',
      'redis://localhost',
      'rediss://:s3cret@cache.internal:6380/2?family=6',
      '/var/run/redis.sock',
    ]) {
      expect(redisTarget({ REDIS_URL: url })).toMatchObject({ kind: 'standalone', url });
    }
  });

  it('reads REDIS_CLUSTER_NODES as cluster seeds, a single one too', () => {
    expect(redisTarget({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,' })).toBeDefined();
    expect(redisTarget({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      tls: false,
      display: 'a:7000,b:7001',
    });
    expect(redisTarget({ REDIS_CLUSTER_NODES: 'redis-0.redis:6379' })).toMatchObject({
      kind: 'cluster',
      nodes: [{ host: 'redis-0.redis', port: 6379 }],
    });
    expect(redisTarget({ REDIS_CLUSTER_NODES: '[::1]:7000,[fd00::2]:7001' })).toMatchObject({
      nodes: [
        { host: '::1', port: 7000 },
        { host: 'fd00::2', port: 7001 },
      ],
      display: '[::1]:7000,[fd00::2]:7001',
    });
  });

  it('reads a REDIS_URL listing several nodes as cluster seeds', () => {
    expect(redisTarget({ REDIS_URL: 'redis://h1:7000,h2:7001' })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      tls: false,
      display: 'h1:7000,h2:7001',
    });
    expect(redisTarget({ REDIS_URL: 'redis://h1:7000,h2:7001/' })).toMatchObject({
      kind: 'cluster',
    });
  });

  it('applies the credentials and TLS of the URL to every node, and logs neither secret', () => {
    const target = redisTarget({ REDIS_URL: 'rediss://app:p%40ss,w0rd@h1:7000,h2:7001/0' });
    expect(target).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss,w0rd',
      tls: true,
      display: 'h1:7000,h2:7001 (user set, password set, TLS)',
    });
    // the default user: no user name sent
    expect(redisTarget({ REDIS_CLUSTER_NODES: 'redis://:hunter2@h1:7000' })).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'h1', port: 7000 }],
      password: 'hunter2',
      tls: false,
      display: 'h1:7000 (password set)',
    });
    expect(redisTarget({ REDIS_CLUSTER_NODES: 'ops@h1:7000' })).toMatchObject({
      username: 'ops',
      display: 'h1:7000 (user set)',
    });
  });

  it('hides the password of a one-node URL in its display', () => {
    expect(redisTarget({ REDIS_URL: 'redis://app:s3cret@cache:6379/1' })).toMatchObject({
      display: 'redis://app:***@cache:6379/1',
    });
    expect(redactUrl('redis://:s3cret@cache:6379')).toBe('redis://***@cache:6379');
    expect(redactUrl('redis://s3cret@cache:6379')).toBe('redis://***@cache:6379');
    expect(redactUrl('redis://app:s3c@ret@cache:6379')).toBe('redis://app:***@cache:6379');
    expect(redactUrl('redis://cache:6379?password=s3cret&db=1')).toBe(
      'redis://cache:6379?password=***&db=1',
    );
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
    // a secret written raw with a character URL syntax wants encoded is hidden too
    for (const raw of ['pa/ss+w==', 'p#ss', 'p?ss', 'a@b/c']) {
      const shown = redisTarget({ REDIS_URL: `redis://app:${raw}@cache:6379` })?.display;
      expect(shown).toBe('redis://app:***@cache:6379');
      expect(shown).not.toContain(raw);
    }
  });

  it('refuses both variables at once', () => {
    expect(
      refusal(() => redisTarget({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' })),
    ).toMatch(/REDIS_CLUSTER_NODES and REDIS_URL are both set/);
  });

  it('refuses node lists it cannot read, naming the bad entries but never a secret', () => {
    expect(refusal(() => redisTarget({ REDIS_CLUSTER_NODES: 'a:7000,b,c:port' }))).toBe(
      'REDIS_CLUSTER_NODES must be a comma list of host:port, optionally as ' +
        'redis://[user:password@]host:port,host:port (rediss:// for TLS): ' +
        'not host:port: "b", "c:port"',
    );
    expect(refusal(() => redisTarget({ REDIS_CLUSTER_NODES: 'a:0' }))).toMatch(/"a:0"/);
    expect(refusal(() => redisTarget({ REDIS_CLUSTER_NODES: 'a:70000' }))).toMatch(/"a:70000"/);
    expect(refusal(() => redisTarget({ REDIS_CLUSTER_NODES: ',' }))).toMatch(
      /^REDIS_CLUSTER_NODES must be a comma list of host:port/,
    );
    expect(refusal(() => redisTarget({ REDIS_CLUSTER_NODES: 'http://a:1,b:2' }))).toMatch(
      /not a http:\/\/ URL/,
    );
    const secrets = [
      redisTarget.bind(null, { REDIS_URL: 'redis://:s3cret@a:1,b:2/3' }),
      redisTarget.bind(null, { REDIS_URL: 'redis://a:1,b:2?password=s3cret' }),
      redisTarget.bind(null, { REDIS_CLUSTER_NODES: 'redis://:s3cret%zz@a:1' }),
      redisTarget.bind(null, { REDIS_CLUSTER_NODES: 'redis://:s3cret@a:1,b' }),
    ];
    const messages = secrets.map(refusal);
    expect(messages[0]).toMatch(/take no database or options after the hosts/);
    expect(messages[1]).toMatch(/take no database or options after the hosts/);
    expect(messages[2]).toMatch(/the password is not valid percent-encoding/);
    expect(messages[3]).toMatch(/not host:port: "b"/);
    for (const message of messages) expect(message).not.toContain('s3cret');
  });
});
