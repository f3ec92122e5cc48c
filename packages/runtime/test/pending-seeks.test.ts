import { MAX_SEEKS_AGAIN, PendingSeeks } from '../src/connectors/kafka/pending-seeks';

describe('PendingSeeks', () => {
  it('delivers every batch of a partition no seek waits on', () => {
    const seeks = new PendingSeeks();
    seeks.sought('t', 0, 10);
    expect(seeks.admit('t', 1, 500, false)).toEqual({ action: 'deliver' });
    expect(seeks.admit('u', 0, 500, true)).toEqual({ action: 'deliver' });
  });

  it('drops what was fetched before the seek took, from ahead or behind, until a batch from the sought offset', () => {
    const seeks = new PendingSeeks();
    seeks.sought('t', 3, 2219);
    expect(seeks.admit('t', 3, 4452, true)).toEqual({ action: 'drop' });
    expect(seeks.admit('t', 3, 100, true)).toEqual({ action: 'drop' });
    expect(seeks.admit('t', 3, 2219, false)).toEqual({ action: 'deliver' });
    // the seek is over: the partition reads on
    expect(seeks.admit('t', 3, 2400, false)).toEqual({ action: 'deliver' });
  });

  it('waits for the latest seek of a partition', () => {
    const seeks = new PendingSeeks();
    seeks.sought('t', 0, 50);
    seeks.sought('t', 0, 20);
    expect(seeks.admit('t', 0, 50, true)).toEqual({ action: 'drop' });
    expect(seeks.admit('t', 0, 20, false)).toEqual({ action: 'deliver' });
  });

  it('asks for the seek again when the consumer fetched from elsewhere after taking it', () => {
    const seeks = new PendingSeeks();
    seeks.sought('t', 0, 700);
    expect(seeks.admit('t', 0, 900, false)).toEqual({ action: 'seek', offset: 700 });
    expect(seeks.admit('t', 0, 900, true)).toEqual({ action: 'drop' });
    expect(seeks.admit('t', 0, 700, false)).toEqual({ action: 'deliver' });
  });

  it('reads on from where the consumer keeps resetting the position, with a warning that says what is skipped', () => {
    const seeks = new PendingSeeks();
    seeks.sought('t', 2, 700);
    for (let i = 0; i < MAX_SEEKS_AGAIN; i++) {
      expect(seeks.admit('t', 2, 900, false)).toEqual({ action: 'seek', offset: 700 });
    }
    expect(seeks.admit('t', 2, 900, false)).toEqual({
      action: 'deliver',
      warning:
        't/2: the consumer reads from offset 900, not from 700 where the task resumes, although ' +
        `it was asked ${MAX_SEEKS_AGAIN + 1} times; reading on from 900: offsets 700 to 899 are ` +
        'no longer in the topic (deleted by retention?) and are not applied',
    });
    expect(seeks.admit('t', 2, 1000, false)).toEqual({ action: 'deliver' });

    seeks.sought('t', 2, 700);
    for (let i = 0; i < MAX_SEEKS_AGAIN; i++) seeks.admit('t', 2, 0, false);
    const behind = seeks.admit('t', 2, 0, false);
    expect(behind.action === 'deliver' && behind.warning).toMatch(
      /reading on from 0: the topic ends before 700 \(was it recreated\?\); records below 700 are skipped$/,
    );
  });

  it('forgets the seeks of partitions a new assignment does not hold', () => {
    const seeks = new PendingSeeks();
    seeks.sought('t', 0, 5);
    seeks.sought('t', 1, 5);
    seeks.keepOnly({ t: [1] });
    expect(seeks.admit('t', 0, 9, true)).toEqual({ action: 'deliver' });
    expect(seeks.admit('t', 1, 9, true)).toEqual({ action: 'drop' });
  });
});
