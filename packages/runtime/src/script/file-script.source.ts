import { readFileSync, statSync } from 'node:fs';
import type { ScriptTextSource } from './script-source';

type Seen = { readonly mtimeMs: number; readonly size: number };

/** A script kept in a file: changed when its modification time or size did, a stat per check. */
export class FileScriptSource implements ScriptTextSource {
  readonly typescript: boolean;
  // a stat costs microseconds: a dynamic file script looks at every batch
  readonly defaultPollMs = 0;
  private seen: Seen | undefined;

  constructor(readonly name: string) {
    this.typescript = name.endsWith('.ts');
  }

  async read(): Promise<string> {
    const stat = statOf(this.name);
    const text = readFileSync(this.name, 'utf8');
    this.seen = stat;
    return text;
  }

  async changed(): Promise<string | undefined> {
    const stat = statOf(this.name);
    if (this.seen && stat.mtimeMs === this.seen.mtimeMs && stat.size === this.seen.size) {
      return undefined;
    }
    // seen only once read: a file that cannot be read now is tried again at the next check
    return this.read();
  }

  close(): void {}
}

function statOf(file: string): Seen {
  const { mtimeMs, size } = statSync(file);
  return { mtimeMs, size };
}
