/**
 * One sample's value in the Prometheus text the backend serves at /metrics, 0 when it is absent:
 * `name` with its suffix (`_sum`, `_count`, ...) and `labels` exactly as rendered, e.g.
 * `statement="purchase_commit1"`. For the tests and the bench, which read the production metrics.
 */
export function metricSample(metricsText: string, name: string, labels: string): number {
  const prefix = `${name}{${labels}} `;
  const line = metricsText.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}
