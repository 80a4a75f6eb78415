/** A small Prometheus text-format registry: counters and one latency histogram, no dependency. */

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Labels = Record<string, string>;

interface Histogram {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export interface Metrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  countIngest(outcome: 'added' | 'updated' | 'unchanged' | 'failed', n: number): void;
  countJob(status: string): void;
  /** Renders everything, plus gauges read at scrape time. */
  render(gauges: Record<string, { help: string; value: number }>): string;
}

/** Label sets repeat (a handful of routes and statuses): their text is built once per distinct set. */
const labelTexts = new Map<string, string>();

function labelText(labels: Labels): string {
  let id = '';
  for (const key in labels) id += `${key}\u0000${labels[key]}\u0000`;
  let text = labelTexts.get(id);
  if (text === undefined) {
    text = buildLabelText(labels);
    if (labelTexts.size < 10_000) labelTexts.set(id, text);
  }
  return text;
}

function buildLabelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}

export function createMetrics(): Metrics {
  const counters = new Map<string, { help: string; values: Map<string, number> }>();
  const latencies = new Map<string, Histogram>();

  function incKey(name: string, help: string, key: string, by: number): void {
    let counter = counters.get(name);
    if (!counter) {
      counter = { help, values: new Map() };
      counters.set(name, counter);
    }
    counter.values.set(key, (counter.values.get(key) ?? 0) + by);
  }

  function inc(name: string, help: string, labels: Labels, by = 1): void {
    incKey(name, help, labelText(labels), by);
  }

  function histogramOf(labels: Labels): Histogram {
    const key = labelText(labels);
    let histogram = latencies.get(key);
    if (!histogram) {
      histogram = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      latencies.set(key, histogram);
    }
    return histogram;
  }

  function observeLatency(histogram: Histogram, seconds: number): void {
    for (let i = BUCKETS.length - 1; i >= 0 && seconds <= (BUCKETS[i] as number); i--) {
      histogram.counts[i] = (histogram.counts[i] as number) + 1;
    }
    histogram.sum += seconds;
    histogram.count += 1;
  }

  /** Each request's method, route and status: their counter key and histogram, looked up once per set. */
  const requestSeries = new Map<string, { counterKey: string; histogram: Histogram }>();
  function seriesOf(method: string, route: string, status: number) {
    const id = `${method} ${status} ${route}`;
    let series = requestSeries.get(id);
    if (series === undefined) {
      series = {
        counterKey: labelText({ method, route, status: String(status) }),
        histogram: histogramOf({ method, route }),
      };
      if (requestSeries.size < 10_000) requestSeries.set(id, series);
    }
    return series;
  }

  function renderHistogram(): string[] {
    const name = 'cairn_http_request_duration_seconds';
    const lines = [`# HELP ${name} HTTP request latency`, `# TYPE ${name} histogram`];
    for (const h of latencies.values()) {
      BUCKETS.forEach((bound, i) => {
        lines.push(`${name}_bucket${labelText({ ...h.labels, le: String(bound) })} ${h.counts[i]}`);
      });
      lines.push(`${name}_bucket${labelText({ ...h.labels, le: '+Inf' })} ${h.count}`);
      lines.push(`${name}_sum${labelText(h.labels)} ${h.sum}`, `${name}_count${labelText(h.labels)} ${h.count}`);
    }
    return lines;
  }

  return {
    observeRequest(method, route, status, seconds) {
      const series = seriesOf(method, route, status);
      incKey('cairn_http_requests_total', 'HTTP requests by route and status', series.counterKey, 1);
      observeLatency(series.histogram, seconds);
    },
    countIngest(outcome, n) {
      if (n > 0) inc('cairn_ingest_documents_total', 'Documents ingested by outcome', { outcome }, n);
    },
    countJob(status) {
      inc('cairn_jobs_total', 'Jobs finished by status', { status });
    },
    render(gauges) {
      const lines: string[] = [];
      for (const [name, counter] of counters) {
        lines.push(`# HELP ${name} ${counter.help}`, `# TYPE ${name} counter`);
        for (const [labels, value] of counter.values) lines.push(`${name}${labels} ${value}`);
      }
      lines.push(...renderHistogram());
      for (const [name, gauge] of Object.entries(gauges)) {
        lines.push(`# HELP ${name} ${gauge.help}`, `# TYPE ${name} gauge`, `${name} ${gauge.value}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
