/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`): the functions with the most self
 * time, located in the TypeScript sources through the compiled files' source maps.
 *
 *   node bench/dist/profile-summary.js bench/profiles/join-kafka-redis.cpuprofile [top]
 */
import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './results';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly positionTicks?: ReadonlyArray<{ readonly line: number; readonly ticks: number }>;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
}

export interface FunctionTime {
  readonly name: string;
  /** `file:line` of the function, in the TypeScript source when a source map has it. */
  readonly location: string;
  /** `file:line` of the line with the most samples in the function. */
  readonly hottestLine: string;
  readonly selfMs: number;
  /** Share of the non-idle time. */
  readonly share: number;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const IDLE = new Set(['(idle)']);

/** Top functions by self time, and self time per file or package. */
export function summarizeProfile(
  file: string,
  top = 15,
): { busyMs: number; functions: FunctionTime[]; modules: Array<[string, number]> } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = totalMs / Math.max(1, profile.samples.length);
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map<
    string,
    { frame: CallFrame; samples: number; lines: Map<number, number> }
  >();
  let busySamples = 0;
  for (const node of profile.nodes) {
    const samples = hits.get(node.id) ?? node.hitCount ?? 0;
    if (samples === 0 || IDLE.has(node.callFrame.functionName)) continue;
    busySamples += samples;
    const f = node.callFrame;
    const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
    let entry = byFunction.get(key);
    if (!entry) byFunction.set(key, (entry = { frame: f, samples: 0, lines: new Map() }));
    entry.samples += samples;
    for (const t of node.positionTicks ?? []) {
      entry.lines.set(t.line, (entry.lines.get(t.line) ?? 0) + t.ticks);
    }
  }
  const locate = new SourceLocator();
  const ranked = [...byFunction.values()].sort((a, b) => b.samples - a.samples);
  const functions = ranked.slice(0, top).map(({ frame, samples, lines }) => {
    const hottest = [...lines].sort((a, b) => b[1] - a[1])[0]?.[0];
    return {
      name: frame.functionName || '(anonymous)',
      location: locate.at(frame.url, frame.lineNumber, frame.columnNumber),
      hottestLine: hottest === undefined ? '' : locate.at(frame.url, hottest - 1, -1),
      selfMs: samples * msPerSample,
      share: samples / Math.max(1, busySamples),
    };
  });
  const modules = new Map<string, number>();
  for (const { frame, samples } of ranked) {
    const m = moduleOf(frame);
    modules.set(m, (modules.get(m) ?? 0) + samples * msPerSample);
  }
  return {
    busyMs: busySamples * msPerSample,
    functions,
    modules: [...modules].sort((a, b) => b[1] - a[1]),
  };
}

/** Every profile in `dir`, summarized as markdown. */
export function summarizeProfiles(dir: string, top = 15): string {
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort()
    : [];
  return files.map((f) => formatSummary(path.join(dir, f), top)).join('\n\n');
}

export function formatSummary(file: string, top = 15): string {
  const { busyMs, functions, modules } = summarizeProfile(file, top);
  const fnTable = markdownTable(
    ['self ms', 'self %', 'function', 'defined at', 'hottest line'],
    functions.map((f) => [
      f.selfMs.toFixed(0),
      `${(f.share * 100).toFixed(1)} %`,
      f.name,
      f.location,
      f.hottestLine,
    ]),
  );
  const modTable = markdownTable(
    ['self ms', 'self %', 'where'],
    modules
      .slice(0, 10)
      .map(([m, ms]) => [ms.toFixed(0), `${((ms / busyMs) * 100).toFixed(1)} %`, m]),
  );
  return `### ${path.basename(file)} (${(busyMs / 1000).toFixed(2)} s busy)\n\n${fnTable}\n\n${modTable}`;
}

/** Where a frame's code lives: a runtime source file, an npm package, Node itself, V8. */
function moduleOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const file = fileOf(frame.url);
  if (file === undefined) return frame.url.startsWith('node:') ? 'node internals' : frame.url;
  const real = fs.existsSync(file) ? fs.realpathSync(file) : file;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(real);
  if (pkg) return pkg[1];
  return path
    .relative(REPO_ROOT, real)
    .replace(/\/dist\//, '/src/')
    .replace(/\.js$/, '.ts');
}

/** The local file of a script URL (undefined for node:, wasm:, eval code...). */
function fileOf(url: string): string | undefined {
  if (url.startsWith('file:')) return fileURLToPath(url);
  return url.startsWith('/') ? url : undefined;
}

/** Maps positions in compiled files to their TypeScript sources (source maps beside them). */
class SourceLocator {
  private readonly maps = new Map<string, SourceMap | undefined>();

  /** `file:line` (1-based) of a 0-based position; column -1: anywhere on the line. */
  at(url: string, line: number, column: number): string {
    if (!url) return '(native)';
    const file = fileOf(url);
    if (file === undefined) return `${url}:${line + 1}`;
    // For a whole line, the last mapping on it (the first may be the line before's).
    const entry = this.mapOf(file)?.findEntry(line, column < 0 ? 1e9 : column) as
      { generatedLine?: number; originalSource?: string; originalLine?: number } | undefined;
    if (
      entry?.originalSource !== undefined &&
      entry.originalLine !== undefined &&
      entry.generatedLine === line
    ) {
      const source = entry.originalSource.startsWith('file:')
        ? fileURLToPath(entry.originalSource)
        : path.resolve(path.dirname(file), entry.originalSource);
      return `${path.relative(REPO_ROOT, source)}:${entry.originalLine + 1}`;
    }
    return `${path.relative(REPO_ROOT, file)}:${line + 1}`;
  }

  private mapOf(file: string): SourceMap | undefined {
    if (!this.maps.has(file)) {
      let map: SourceMap | undefined;
      try {
        map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
      } catch {
        map = undefined;
      }
      this.maps.set(file, map);
    }
    return this.maps.get(file);
  }
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/dist/profile-summary.js <file.cpuprofile | dir> [top]');
    process.exit(2);
  }
  const n = Number(top ?? 20);
  console.log(
    fs.statSync(file).isDirectory() ? summarizeProfiles(file, n) : formatSummary(file, n),
  );
}
