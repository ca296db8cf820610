/**
 * A counter and a histogram for the request path, shown through prom-client's Registry.
 *
 * prom-client's own validate and hash the labels of every `inc` and `observe` (its `labels()` child
 * does the same on each call): under the status workload of the benchmark that was about 20 µs of
 * CPU per request, for a request counter, a duration and three store-operation timings. Here a
 * caller takes a series once per label set (`series(labels)`, kept in its own map) and then counts
 * into it: an addition, or a bucket found among a dozen bounds. The Registry asks `get()` at scrape
 * time for the values in prom-client's own shape, so the exposition is prom-client's text format.
 */
import type { Registry } from 'prom-client';

/** What the Registry reads from `get()`: prom-client's MetricObjectWithValues, without `collect`. */
interface Exposed {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Array<{
    metricName?: string;
    labels: Record<string, string | number>;
    value: number;
  }>;
}

interface Registered {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
}

function register(metric: Registered, registers: readonly Registry[]): void {
  // The Registry needs `name`, `help`, `type`, `get()` and `reset()`: what these have.
  for (const registry of registers)
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

function keyOf<L extends string>(labelNames: readonly L[], labels: Record<L, string>): string {
  let key = '';
  for (const name of labelNames) key += `${labels[name]}\u0001`;
  return key;
}

export interface CounterSeries {
  value: number;
}

export class FastCounter<L extends string> implements Registered {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, { labels: Record<L, string>; series: CounterSeries }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    registers: readonly Registry[],
  ) {
    register(this, registers);
  }

  /** The series of these labels (made on first use; the same object every time after). */
  series(labels: Record<L, string>): CounterSeries {
    const key = keyOf(this.labelNames, labels);
    let entry = this.all.get(key);
    if (!entry) this.all.set(key, (entry = { labels: { ...labels }, series: { value: 0 } }));
    return entry.series;
  }

  inc(labels: Record<L, string>, by = 1): void {
    this.series(labels).value += by;
  }

  async get(): Promise<Exposed> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.all.values()].map(({ labels, series }) => ({ labels, value: series.value })),
    };
  }

  reset(): void {
    for (const { series } of this.all.values()) series.value = 0;
  }
}

export interface HistogramSeries {
  /** Observations per bucket, not cumulative; the last one is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram<L extends string> implements Registered {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, { labels: Record<L, string>; series: HistogramSeries }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    /** Upper bounds, ascending (seconds). */
    private readonly buckets: readonly number[],
    registers: readonly Registry[],
  ) {
    register(this, registers);
  }

  series(labels: Record<L, string>): HistogramSeries {
    const key = keyOf(this.labelNames, labels);
    let entry = this.all.get(key);
    if (!entry) {
      const series = { counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.all.set(key, (entry = { labels: { ...labels }, series }));
    }
    return entry.series;
  }

  /** One observation, in seconds. */
  observe(series: HistogramSeries, value: number): void {
    const bounds = this.buckets;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  async get(): Promise<Exposed> {
    const values: Exposed['values'] = [];
    for (const { labels, series } of this.all.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: bound, ...labels },
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: '+Inf', ...labels },
        value: series.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: series.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  /**
   * Zeroes every series but keeps it (prom-client's own reset forgets them): callers hold their
   * series, and what they count after a reset must still be exposed.
   */
  reset(): void {
    for (const { series } of this.all.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
