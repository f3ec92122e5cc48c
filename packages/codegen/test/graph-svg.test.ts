/**
 * `stream-gen graph --format svg` on the ImpressionJoin sample, in process: the output
 * is parsed as XML (a strict reader below, since a string match would pass a broken
 * document) and its drawn nodes and edges are checked against the job's topology as
 * the json format gives it. The renderer is loaded only when svg is asked for.
 */
import { join } from 'node:path';
import { cli, type Ran } from './run-cli';

let mockRendererLoads = 0;
jest.mock('@viz-js/viz', () => {
  mockRendererLoads++;
  return jest.requireActual('@viz-js/viz');
});

const SAMPLE = join(__dirname, '..', '..', '..', 'samples', 'impression-join');

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  /** The element's own text, entities decoded (not that of its children). */
  text: string;
}

interface Topology {
  nodes: Array<{ id: string; label: string; kind: string }>;
  edges: Array<{ from: string; to: string; label?: string }>;
}

/** A json node id and label as the dot format writes them, which the svg is drawn from. */
const dotId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
const dotLabel = (label: string) => label.replace(/["`]/g, "'");

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string, at: number): string {
  return text.replace(/&([^;]*);|&/g, (whole, name: string | undefined) => {
    if (name === undefined) throw new Error(`a bare & near offset ${at}`);
    const code = /^#x([0-9a-f]+)$/i.exec(name)?.[1] ?? /^#([0-9]+)$/.exec(name)?.[1];
    if (code !== undefined) return String.fromCodePoint(parseInt(code, name[1] === 'x' ? 16 : 10));
    if (!(name in ENTITIES)) throw new Error(`unknown entity ${whole} near offset ${at}`);
    return ENTITIES[name];
  });
}

/**
 * Reads an XML document and throws at the first thing that makes it not well-formed:
 * an unclosed or mismatched tag, an unquoted or repeated attribute, a raw `<` or a
 * bad entity in text, more than one root, content after the root.
 */
function parseXml(xml: string): XmlElement {
  const NAME = '[A-Za-z_][\\w.:-]*';
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed at offset ${i}: ${why}: ${xml.slice(i, i + 60)}`);
  };
  const skipPast = (end: string) => {
    const at = xml.indexOf(end, i);
    if (at < 0) fail(`no ${end}`);
    i = at + end.length;
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.trim()) {
      if (stack.length === 0) fail('text outside the root element');
      stack[stack.length - 1].text += decode(text, i);
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<?', i)) {
      if (root || stack.length) fail('a processing instruction inside the document');
      skipPast('?>');
    } else if (xml.startsWith('<!--', i)) {
      skipPast('-->');
    } else if (xml.startsWith('<!DOCTYPE', i)) {
      if (root || stack.length) fail('a DOCTYPE after the root element started');
      skipPast('>');
    } else if (xml.startsWith('</', i)) {
      const close = new RegExp(`^</(${NAME})\\s*>`).exec(xml.slice(i));
      if (!close) fail('a bad end tag');
      const open = stack.pop();
      if (!open || open.name !== close![1]) fail(`</${close![1]}> closes <${open?.name}>`);
      i += close![0].length;
    } else {
      const tag = new RegExp(
        `^<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`,
      ).exec(xml.slice(i));
      if (!tag) fail('a bad start tag');
      const attributes: Record<string, string> = {};
      for (const [, key, dq, sq] of tag![2].matchAll(
        new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g'),
      )) {
        if (key in attributes) fail(`attribute ${key} given twice`);
        attributes[key] = decode(dq ?? sq, i);
      }
      const element: XmlElement = { name: tag![1], attributes, children: [], text: '' };
      if (stack.length > 0) stack[stack.length - 1].children.push(element);
      else if (root) fail('a second root element');
      else root = element;
      if (!tag![3]) stack.push(element);
      i += tag![0].length;
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) fail('no root element');
  return root!;
}

function descendants(element: XmlElement): XmlElement[] {
  return element.children.flatMap((c) => [c, ...descendants(c)]);
}

/** Per drawn node or edge (`<g class="node|edge">`): its title and the texts drawn in it. */
function drawn(svg: XmlElement, kind: 'node' | 'edge'): Map<string, string[]> {
  const groups = descendants(svg).filter(
    (e) => e.name === 'g' && e.attributes.class?.split(' ').includes(kind),
  );
  return new Map(
    groups.map((g) => [
      g.children.find((c) => c.name === 'title')?.text ?? '',
      descendants(g)
        .filter((e) => e.name === 'text')
        .map((t) => t.text),
    ]),
  );
}

describe('graph --format svg', () => {
  let json: Ran;
  let svg: Ran;
  let loadsBeforeSvg: number;
  let topology: Topology;
  let document: XmlElement;

  beforeAll(async () => {
    json = await cli('graph', 'ImpressionJoin', '--project', SAMPLE, '--format', 'json');
    loadsBeforeSvg = mockRendererLoads;
    svg = await cli('graph', 'ImpressionJoin', '--project', SAMPLE, '--format', 'svg');
    topology = JSON.parse(json.out) as Topology;
  });

  it('prints one well-formed SVG document and nothing else', () => {
    expect(svg).toMatchObject({ code: 0, err: '' });
    document = parseXml(svg.out);
    expect(document.name).toBe('svg');
    expect(document.attributes).toMatchObject({
      xmlns: 'http://www.w3.org/2000/svg',
      viewBox: expect.stringMatching(/^[\d.]+ [\d.]+ [\d.]+ [\d.]+$/),
    });
    expect(descendants(document).find((e) => e.name === 'title')?.text).toBe('ImpressionJoin');
  });

  it('is read by a reader that refuses broken documents', () => {
    const lastEnd = svg.out.lastIndexOf('</g>');
    const broken = [
      svg.out.slice(0, lastEnd) + svg.out.slice(lastEnd + 4),
      svg.out.replace('>impressions<', '>impressions & plays<'),
      svg.out.replace('<svg ', '<svg width="1" '),
      `${svg.out}<svg/>`,
    ];
    for (const text of broken) expect(() => parseXml(text)).toThrow(/not well-formed|bare &/);
  });

  it('draws every source, the operator and every sink, labelled', () => {
    document ??= parseXml(svg.out);
    const nodes = drawn(document, 'node');
    expect(topology.nodes.map((n) => n.kind).sort()).toEqual([
      'operator',
      'sink',
      'sink',
      'sink',
      'source',
      'source',
    ]);
    expect(Object.fromEntries(nodes)).toEqual(
      Object.fromEntries(topology.nodes.map((n) => [dotId(n.id), [dotLabel(n.label)]])),
    );
    expect([...nodes.values()].flat().sort()).toEqual([
      'ImpressionJoin (keyed co-process)',
      'conversions',
      'dead-letters',
      'impressions',
      'late',
      'plays',
    ]);
  });

  it('draws every edge with its label: key selectors, side output, dead letters', () => {
    document ??= parseXml(svg.out);
    const edges = drawn(document, 'edge');
    expect(Object.fromEntries(edges)).toEqual(
      Object.fromEntries(
        topology.edges.map((e) => [
          `${dotId(e.from)}->${dotId(e.to)}`,
          e.label === undefined ? [] : [dotLabel(e.label)],
        ]),
      ),
    );
    expect(edges.get('source_plays->op_ImpressionJoin')).toEqual([
      "keyBy (p: Play) => '${p.profileId}_${p.titleId}'",
    ]);
    expect(edges.get('op_ImpressionJoin->sink_late')).toEqual(['late']);
  });

  it('loads the renderer for svg only', () => {
    expect(json.code).toBe(0);
    expect(loadsBeforeSvg).toBe(0);
    expect(mockRendererLoads).toBe(1);
  });

  it('names svg among the formats when the format is unknown', async () => {
    const r = await cli('graph', 'ImpressionJoin', '--project', SAMPLE, '--format', 'png');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--format must be one of mermaid, dot, json, svg, not "png"');
  });
});
