import { Injectable } from '@nestjs/common';

type Env = Record<string, string | undefined>;

/** Where the two services are, from PLAYBACK_HISTORY_URL and VIDEO_METADATA_URL. */
@Injectable()
export class EnricherConfig {
  readonly historyUrl: string = required(process.env, 'PLAYBACK_HISTORY_URL');
  readonly metadataUrl: string = required(process.env, 'VIDEO_METADATA_URL');

  /** A config read from `env` instead of the process environment (tests, demos). */
  static from(env: Env): EnricherConfig {
    return Object.assign(Object.create(EnricherConfig.prototype) as EnricherConfig, {
      historyUrl: required(env, 'PLAYBACK_HISTORY_URL'),
      metadataUrl: required(env, 'VIDEO_METADATA_URL'),
    });
  }
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: point it at the service (the sample's fake services print their URLs)`,
    );
  }
  return value.replace(/\/+$/, '');
}
