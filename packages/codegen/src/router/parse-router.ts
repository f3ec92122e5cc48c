import {
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { DiagnosticsSink } from '../analyze/diagnostics-sink';
import { didYouMean } from '../analyze/near-name';
import type {
  ProjectedField,
  Route,
  RouteScriptConfig,
  RouterConfig,
  RouterSink,
  SinkKind,
} from './router-model';
import {
  ROUTE_KEYS,
  ROUTER_KEYS,
  SINK_KINDS,
  RESERVED_ROUTE_NAMES,
  SCRIPT_SETTINGS,
  SCRIPT_SOURCES,
  SETTING_MINIMUMS,
  SINK_SCHEMAS,
  SOURCE_KEYS,
  type SettingType,
} from './router-schema';
import { YamlPositions } from './yaml-positions';

type Entries = Map<string, Pair<YamlNode, YamlNode | null>>;

/**
 * Reads a router file: its YAML, then every section's keys and settings, reporting
 * each problem at its line and column (SG3001–SG3006). The expressions are read as
 * text here and type-checked later, against the source type. Undefined when the file
 * is not a router at all (not YAML, not a mapping).
 */
export function parseRouter(
  file: string,
  text: string,
  sink: DiagnosticsSink,
): RouterConfig | undefined {
  return new RouterReader(new YamlPositions(file, text), sink).read();
}

class RouterReader {
  constructor(
    private readonly at: YamlPositions,
    private readonly sink: DiagnosticsSink,
  ) {}

  read(): RouterConfig | undefined {
    const doc = parseDocument(this.at.text, {
      lineCounter: this.at.lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
    });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        this.sink.reportAt('SG3001', `not valid YAML: ${message}`, this.at.at(error.pos[0]));
      }
      return undefined;
    }
    const root = doc.contents;
    if (!isMap(root)) {
      this.sink.reportAt(
        'SG3001',
        'a router file is a mapping with "router", "source" and "routes"',
        this.at.of(root),
      );
      return undefined;
    }
    const entries = this.entries(root, ROUTER_KEYS, 'a router');
    const name = this.string(entries, 'router', root, 'the router');
    if (name !== undefined && !/^[A-Za-z_][\w-]*$/.test(name)) {
      this.sink.reportAt(
        'SG3003',
        `router name "${name}" must start with a letter or '_' and hold only letters, digits, '_' and '-' (it names the job)`,
        this.at.of(entries.get('router')?.value),
      );
      return undefined;
    }
    const source = this.section(entries, 'source', root, 'the router');
    const sourceEntries = source && this.entries(source, SOURCE_KEYS, 'the source');
    const topic = sourceEntries && this.string(sourceEntries, 'topic', source, 'the source');
    const type = sourceEntries && this.string(sourceEntries, 'type', source, 'the source');
    const routes = this.routes(entries, root);
    if (name === undefined || topic === undefined || type === undefined || !routes) {
      return undefined;
    }
    this.checkUniqueRoutes(routes);
    return {
      name,
      file: this.at.file,
      location: this.at.of(entries.get('router')?.value),
      source: { topic, type, typeLocation: this.at.of(sourceEntries?.get('type')?.value) },
      routes,
    };
  }

  private routes(entries: Entries, root: YAMLMap): Route[] | undefined {
    const pair = entries.get('routes');
    if (!pair) return this.missing('routes', root, 'the router', 'a list of routes');
    const list = pair.value;
    if (!isSeq(list) || list.items.length === 0) {
      this.sink.reportAt(
        'SG3003',
        '"routes" must be a list of at least one route',
        this.at.of(list ?? (pair.key as YamlNode)),
      );
      return undefined;
    }
    const routes: Route[] = [];
    let complete = true;
    for (const item of list.items as YamlNode[]) {
      const route = this.route(item);
      if (route) routes.push(route);
      else complete = false;
    }
    return complete ? routes : undefined;
  }

  private route(node: YamlNode): Route | undefined {
    if (!isMap(node)) {
      this.sink.reportAt('SG3003', 'a route is a mapping with "name" and "sink"', this.at.of(node));
      return undefined;
    }
    const entries = this.entries(node, ROUTE_KEYS, 'a route');
    const name = this.string(entries, 'name', node, 'a route');
    const owner = name === undefined ? 'a route' : `route "${name}"`;
    const filterPair = entries.get('filter');
    // undefined: no filter; null: a reported problem
    const filter =
      filterPair && (this.expression(filterPair.value, `the filter of ${owner}`) ?? null);
    const project = this.projection(entries.get('project'), owner);
    const sinkNode = this.section(entries, 'sink', node, owner);
    const sink = sinkNode && this.sinkOf(sinkNode, owner);
    const isolated = this.optional(entries, 'isolated', 'boolean', owner);
    const scriptNode = entries.has('script')
      ? this.section(entries, 'script', node, owner)
      : undefined;
    const script = scriptNode && this.scriptOf(scriptNode, owner);
    if (
      name === undefined ||
      !sink ||
      filter === null ||
      project === null ||
      isolated === null ||
      (entries.has('script') && !script)
    ) {
      return undefined;
    }
    if (RESERVED_ROUTE_NAMES.test(name)) {
      this.sink.reportAt(
        'SG3003',
        `route name "${name}" is the router's dead letters' own: name the route otherwise`,
        this.at.of(entries.get('name')?.value),
      );
      return undefined;
    }
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) {
      this.sink.reportAt(
        'SG3003',
        `route name "${name}" must start with a letter or '_' and hold only letters, digits, '_', '.' and '-' (it names the route's sink and ids)`,
        this.at.of(entries.get('name')?.value),
      );
      return undefined;
    }
    return {
      name,
      location: this.at.of(entries.get('name')?.value),
      filter,
      script,
      project,
      sink,
      isolated: isolated === true,
    };
  }

  /** Undefined when absent, null after a reported problem. */
  private projection(
    pair: Pair<YamlNode, YamlNode | null> | undefined,
    owner: string,
  ): ProjectedField[] | undefined | null {
    if (!pair) return undefined;
    const node = pair.value;
    // a list of field names is the short form of `name: name`
    if (isSeq(node)) {
      const fields: ProjectedField[] = [];
      for (const item of node.items as YamlNode[]) {
        const expression = this.expression(item, `a projected field of ${owner}`);
        if (!expression) return null;
        fields.push({ name: expression.text, expression });
      }
      return fields;
    }
    if (!isMap(node) || node.items.length === 0) {
      this.sink.reportAt(
        'SG3003',
        `"project" of ${owner} must map output fields to expressions, or list the fields to keep`,
        this.at.of(node ?? (pair.key as YamlNode)),
      );
      return null;
    }
    const fields: ProjectedField[] = [];
    for (const [name, field] of this.entries(node, undefined, `the projection of ${owner}`)) {
      const expression = field.value
        ? this.expression(field.value, `field "${name}" of ${owner}`)
        : null;
      if (!expression) return null;
      fields.push({ name, expression });
    }
    return fields;
  }

  private sinkOf(node: YAMLMap, owner: string): RouterSink | undefined {
    const schemaKeys = new Set(
      SINK_KINDS.flatMap((k) => [
        ...Object.keys(SINK_SCHEMAS[k].required),
        ...Object.keys(SINK_SCHEMAS[k].optional),
      ]),
    );
    const entries = this.entries(node, undefined, `the sink of ${owner}`);
    const kindPair = entries.get('kind');
    const kindNode = kindPair?.value;
    // `kind: null` reads as YAML's null: the null sink
    const kind =
      kindNode && isScalar(kindNode)
        ? kindNode.value === null
          ? 'null'
          : kindNode.value
        : undefined;
    if (kindPair === undefined) {
      return this.missing('kind', node, `the sink of ${owner}`, `one of ${SINK_KINDS.join(', ')}`);
    }
    if (typeof kind !== 'string' || !SINK_KINDS.includes(kind as SinkKind)) {
      this.sink.reportAt(
        'SG3004',
        `unknown sink kind ${JSON.stringify(kind ?? null)} of ${owner}: use one of ${SINK_KINDS.join(', ')}${didYouMean(String(kind), SINK_KINDS)}`,
        this.at.of(kindNode),
      );
      return undefined;
    }
    const schema = SINK_SCHEMAS[kind as SinkKind];
    const allowed = { ...schema.required, ...schema.optional };
    const settings: Record<string, string | number | boolean> = {};
    let valid = true;
    for (const [key, pair] of entries) {
      if (key === 'kind') continue;
      const type = allowed[key];
      if (!type) {
        const hint = schemaKeys.has(key)
          ? `; a ${kind} sink takes ${Object.keys(allowed).join(', ') || 'no settings'}`
          : didYouMean(
              key,
              Object.keys(allowed),
              `; a ${kind} sink takes ${Object.keys(allowed).join(', ') || 'no settings'}`,
            );
        this.sink.reportAt(
          'SG3002',
          `unknown setting "${key}" of the ${kind} sink of ${owner}${hint}`,
          this.at.of(pair.key as YamlNode),
        );
        valid = false;
        continue;
      }
      const value = this.setting(
        pair,
        key,
        type,
        `the ${kind} sink of ${owner}`,
        schema.values?.[key],
      );
      if (value === undefined) valid = false;
      else settings[key] = value;
    }
    for (const key of Object.keys(schema.required)) {
      if (!entries.has(key)) {
        this.missing(key, node, `the ${kind} sink of ${owner}`, schema.required[key]);
        valid = false;
      }
    }
    if (schema.oneOf && schema.oneOf.filter((k) => entries.has(k)).length !== 1) {
      this.sink.reportAt(
        'SG3003',
        `the ${kind} sink of ${owner} takes exactly one of ${schema.oneOf.map((k) => `"${k}"`).join(', ')}`,
        this.at.of(kindNode),
      );
      valid = false;
    }
    return valid ? { kind: kind as SinkKind, settings, location: this.at.of(kindNode) } : undefined;
  }

  private scriptOf(node: YAMLMap, owner: string): RouteScriptConfig | undefined {
    const what = `the script of ${owner}`;
    const entries = this.entries(node, Object.keys(SCRIPT_SETTINGS), what);
    const values: Record<string, string | number | boolean> = {};
    let valid = true;
    for (const [key, pair] of entries) {
      const value = this.setting(pair, key, SCRIPT_SETTINGS[key], what);
      if (value === undefined) valid = false;
      else values[key] = value;
    }
    const given = SCRIPT_SOURCES.filter((k) => entries.has(k));
    if (given.length !== 1) {
      this.sink.reportAt(
        'SG3003',
        `${what} takes exactly one of "file" (the script file, relative to the project directory) and "redis" (the Redis key that holds it)`,
        this.at.of(given.length > 1 ? entries.get(given[1])?.key : node),
      );
      return undefined;
    }
    if (!valid) return undefined;
    return {
      file: values.file as string | undefined,
      redis: values.redis as string | undefined,
      sourceLocation: this.at.of(entries.get(given[0])?.value),
      function: values.function as string | undefined,
      dynamic: values.dynamic as boolean | undefined,
      pollMs: values.pollMs as number | undefined,
      timeoutMs: values.timeoutMs as number | undefined,
      memoryMb: values.memoryMb as number | undefined,
    };
  }

  private setting(
    pair: Pair<YamlNode, YamlNode | null>,
    key: string,
    type: SettingType,
    owner: string,
    values?: readonly string[],
  ): string | number | boolean | undefined {
    const node = pair.value;
    if (type === 'brokers') return this.brokers(node ?? (pair.key as YamlNode), key, owner);
    const value = node && isScalar(node) ? node.value : undefined;
    if (typeof value !== type || (type === 'string' && value === '')) {
      this.sink.reportAt(
        'SG3003',
        `"${key}" of ${owner} must be a${type === 'string' ? ' non-empty' : ''} ${type}`,
        this.at.of(node ?? (pair.key as YamlNode)),
      );
      return undefined;
    }
    const least = SETTING_MINIMUMS[key];
    if (
      type === 'number' &&
      least !== undefined &&
      !((value as number) >= least && Number.isInteger(value))
    ) {
      this.sink.reportAt(
        'SG3003',
        `"${key}" of ${owner} must be a whole number of at least ${least}`,
        this.at.of(node),
      );
      return undefined;
    }
    if (values && !values.includes(value as string)) {
      this.sink.reportAt(
        'SG3003',
        `"${key}" of ${owner} must be one of ${values.join(', ')}${didYouMean(String(value), values)}`,
        this.at.of(node),
      );
      return undefined;
    }
    return value as string | number | boolean;
  }

  /** Bootstrap servers as a list of host:port, or one string of them with commas: that string. */
  private brokers(node: YamlNode, key: string, owner: string): string | undefined {
    const items = isSeq(node) ? (node.items as YamlNode[]) : [node];
    const brokers: string[] = [];
    for (const item of items) {
      const value = isScalar(item) ? item.value : undefined;
      const parts = typeof value === 'string' ? value.split(',').map((b) => b.trim()) : [];
      const bad = parts.find((b) => !/^[^\s:,]+:\d+$/.test(b));
      if (parts.length === 0 || bad !== undefined) {
        this.sink.reportAt(
          'SG3003',
          `"${key}" of ${owner} must be host:port strings, as a list or with commas${bad === undefined ? '' : `: not "${bad}"`}`,
          this.at.of(item),
        );
        return undefined;
      }
      brokers.push(...parts);
    }
    if (brokers.length === 0) {
      this.sink.reportAt('SG3003', `"${key}" of ${owner} lists no brokers`, this.at.of(node));
      return undefined;
    }
    return brokers.join(',');
  }

  private expression(node: YamlNode | null, what: string) {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
      this.sink.reportAt(
        'SG3003',
        `${what} must be a CEL expression written as a string`,
        this.at.of(node),
      );
      return undefined;
    }
    return { text: node.value, locate: this.at.locator(node) };
  }

  /** The keys of a mapping; unknown ones (when `known` is given) reported with a suggestion. */
  private entries(node: YAMLMap, known: readonly string[] | undefined, owner: string): Entries {
    const entries: Entries = new Map();
    for (const pair of node.items as Array<Pair<YamlNode, YamlNode | null>>) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) {
        this.sink.reportAt(
          'SG3002',
          `a key of ${owner} must be a plain name`,
          this.at.of(pair.key),
        );
        continue;
      }
      if (known && !known.includes(key)) {
        this.sink.reportAt(
          'SG3002',
          `unknown key "${key}" in ${owner}${didYouMean(key, known, `; it takes ${known.join(', ')}`)}`,
          this.at.of(pair.key),
        );
        continue;
      }
      entries.set(key, pair);
    }
    return entries;
  }

  private string(entries: Entries, key: string, owner: YAMLMap, what: string): string | undefined {
    const pair = entries.get(key);
    if (!pair) return this.missing(key, owner, what, 'string');
    const value = this.setting(pair, key, 'string', what);
    return value as string | undefined;
  }

  /** Undefined when absent, null after a reported problem. */
  private optional(
    entries: Entries,
    key: string,
    type: SettingType,
    what: string,
  ): string | number | boolean | undefined | null {
    const pair = entries.get(key);
    if (!pair) return undefined;
    return this.setting(pair, key, type, what) ?? null;
  }

  private section(
    entries: Entries,
    key: string,
    owner: YAMLMap,
    what: string,
  ): YAMLMap | undefined {
    const pair = entries.get(key);
    if (!pair) return this.missing(key, owner, what, 'mapping');
    if (!isMap(pair.value)) {
      this.sink.reportAt(
        'SG3003',
        `"${key}" of ${what} must be a mapping`,
        this.at.of(pair.value ?? (pair.key as YamlNode)),
      );
      return undefined;
    }
    return pair.value;
  }

  private missing(key: string, owner: YamlNode, what: string, type: string): undefined {
    this.sink.reportAt('SG3003', `${what} has no "${key}" (${type})`, this.at.of(owner));
    return undefined;
  }

  private checkUniqueRoutes(routes: readonly Route[]): void {
    const seen = new Set<string>();
    for (const route of routes) {
      if (seen.has(route.name)) {
        this.sink.reportAt('SG3006', `duplicate route name "${route.name}"`, route.location);
      }
      seen.add(route.name);
    }
  }
}
