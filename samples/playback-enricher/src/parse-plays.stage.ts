import { Chain, FilterElement, FlatMapElement } from '@stream-gen/annotations';
import type { Play, PlayLogLine } from './model';
import { parsePlayLogLine } from './play-log';

/**
 * The start of the talk's enricher chain, `flatMap(parser) -> filter`: play-log lines
 * from `plays` become the plays on `plays-parsed`. It runs in the task that reads the
 * line, so a line's plays keep its order and need no repartition.
 */
@Chain({ id: 'parse-plays', input: 'plays', output: 'plays-parsed' })
export class ParsePlays {
  /** A line that does not parse goes to the dead letters, with the parser's reason. */
  @FlatMapElement()
  parse(line: PlayLogLine): Play[] {
    return parsePlayLogLine(line);
  }

  /** A play stopped before its first frame is no view: nothing to enrich. */
  @FilterElement()
  watched(play: Play): boolean {
    return play.durationMs > 0;
  }
}
