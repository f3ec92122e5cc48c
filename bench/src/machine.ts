import { spawnSync } from 'node:child_process';
import * as os from 'node:os';

/** One line describing the machine the bench ran on. */
export function describeMachine(redisVersion: string): string {
  const cpus = os.cpus();
  const memGb = Math.round(os.totalmem() / 2 ** 30);
  const rdkafka = spawnSync('pkg-config', ['--modversion', 'rdkafka'], { encoding: 'utf8' });
  const kafka =
    rdkafka.status === 0
      ? `librdkafka ${rdkafka.stdout.trim()} mock cluster`
      : 'librdkafka mock cluster';
  return (
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${memGb} GB RAM, ` +
    `${os.type()} ${os.release()}, Node ${process.version}, redis-server ${redisVersion}, ${kafka} (1 broker)`
  );
}

/** The commit the bench ran on, with "+changes" when the working tree differs from it. */
export function describeCommit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown commit';
  const status = spawnSync('git', ['status', '--porcelain', '--', 'packages', 'samples'], {
    encoding: 'utf8',
  });
  return `${head.stdout.trim()}${status.stdout.trim() ? '+changes' : ''}`;
}
