import { defaultLogger } from '../src';

describe('STREAM_GEN_LOG_LEVEL', () => {
  let written: string[];
  let write: jest.SpyInstance;
  beforeEach(() => {
    written = [];
    write = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  });
  afterEach(() => write.mockRestore());

  it('takes a level in any case', () => {
    const logger = defaultLogger('J', { STREAM_GEN_LOG_LEVEL: 'WARN' });
    logger.info('hidden');
    logger.warn('shown');
    expect(written.map((line) => line.replace(/^\S+ /, ''))).toEqual(['WARN [J] shown\n']);
  });

  it('says so once when the level is unknown, and logs at info', () => {
    const logger = defaultLogger('J', { STREAM_GEN_LOG_LEVEL: 'verbose' });
    logger.debug('hidden');
    logger.info('shown');
    expect(written.map((line) => line.replace(/^\S+ /, ''))).toEqual([
      'WARN [J] STREAM_GEN_LOG_LEVEL must be one of debug, info, warn, error, got "verbose": logging at info\n',
      'INFO [J] shown\n',
    ]);
  });
});
