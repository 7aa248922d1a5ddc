// The throughput chart: MB/s by message size, one series per client, rendered to SVG with
// vega-lite and vega's headless View (no canvas: text widths are estimated).
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };

import type { Summary } from './report.js';
import { formatBytes } from './util.js';

export async function throughputSvg(
  summaries: Pick<Summary, 'client' | 'size' | 'megabytesPerSecond'>[],
  subtitle: string,
  title = 'DataProducer throughput into a mediasoup router',
): Promise<string> {
  const points = summaries
    .filter((s) => Number.isFinite(s.megabytesPerSecond.median))
    .map((s) => ({
      client: s.client,
      size: formatBytes(s.size),
      bytes: s.size,
      median: s.megabytesPerSecond.median,
      min: s.megabytesPerSecond.min,
      max: s.megabytesPerSecond.max,
    }));
  const sizeOrder = [...new Set(summaries.map((s) => s.size))]
    .sort((a, b) => a - b)
    .map(formatBytes);
  const clientOrder = [...new Set(summaries.map((s) => s.client))];
  const x = {
    field: 'size',
    type: 'ordinal',
    sort: sizeOrder,
    title: 'message size (ordered, reliable)',
  } as const;
  const color = { field: 'client', type: 'nominal', sort: clientOrder, title: 'client' } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    width: 520,
    height: 320,
    background: 'white',
    data: { values: points },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2, opacity: 0.6 },
        encoding: {
          x,
          y: { field: 'min', type: 'quantitative', scale: { type: 'log' } },
          y2: { field: 'max' },
          color,
        },
      },
      {
        mark: { type: 'line', point: { filled: true, size: 60 } },
        encoding: {
          x,
          y: {
            field: 'median',
            type: 'quantitative',
            scale: { type: 'log' },
            title: 'MB/s (10^6 B/s, median; bars: min–max over rounds; log scale)',
          },
          color,
          tooltip: [
            { field: 'client' },
            { field: 'size' },
            { field: 'median', format: '.2f' },
            { field: 'min', format: '.2f' },
            { field: 'max', format: '.2f' },
          ],
        },
      },
    ],
  };
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
