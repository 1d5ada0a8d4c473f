import type { Metric, Registry } from 'prom-client';

/**
 * Serves the metrics of several registries from `target` as one metric per name. Each projection runner
 * keeps its metrics in a registry of its own (their names are fixed, and a registry holds a name once),
 * while the app has one `/metrics`: the runners label every value with its projection, so their values of
 * a metric simply add up to one list. Read at every scrape, so a runner that stopped (its metrics left its
 * registry) just contributes nothing.
 */
export function mergeMetrics(target: Registry, sources: readonly Registry[]): void {
  const names = new Set(sources.flatMap((source) => source.getMetricsAsArray().map((metric) => metric.name)));
  for (const name of names) {
    const template = sources.map((source) => source.getSingleMetric(name)).find((metric) => metric);
    if (template) target.registerMetric(new MergedMetric(name, template, sources) as unknown as Metric);
  }
}

type MetricValues = Awaited<ReturnType<Metric['get']>>;

/** What a registry asks of a metric to serve it (`name`, `help`, `type`, `aggregator`, `get`, `reset`). */
class MergedMetric {
  readonly help: string;
  readonly type: MetricValues['type'];
  readonly aggregator: MetricValues['aggregator'];

  constructor(
    readonly name: string,
    template: Metric,
    private readonly sources: readonly Registry[],
  ) {
    const described = template as unknown as Pick<MetricValues, 'help' | 'type' | 'aggregator'>;
    this.help = described.help;
    this.type = described.type;
    this.aggregator = described.aggregator;
  }

  async get(): Promise<MetricValues> {
    const parts = this.parts();
    const values = await Promise.all(parts.map((metric) => metric.get()));
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      collect: () => undefined,
      values: values.flatMap((part) => part.values),
    };
  }

  reset(): void {
    for (const metric of this.parts()) metric.reset();
  }

  private parts(): Metric[] {
    return this.sources.flatMap((source) => source.getSingleMetric(this.name) ?? []);
  }
}
