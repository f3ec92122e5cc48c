import type { Viz } from '@viz-js/viz';

let renderer: Promise<Viz> | undefined;

/**
 * Lays out and draws a dot graph as a standalone SVG document. The renderer (Graphviz
 * compiled to WebAssembly, about 1 MB) is loaded on the first call only, so the other
 * commands and formats never pay for it.
 */
export async function renderSvg(dot: string): Promise<string> {
  renderer ??= import('@viz-js/viz').then((viz) => viz.instance());
  // the CLI ends what it prints with a newline itself
  return (await renderer).renderString(dot, { format: 'svg', engine: 'dot' }).trimEnd();
}
