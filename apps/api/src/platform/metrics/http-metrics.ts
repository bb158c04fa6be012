import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from './metrics-registry';

/** Requests that matched no route share one label, so a scan of random URLs cannot blow up the series. */
export const UNMATCHED_ROUTE = 'unmatched';

type RequestDuration = ReturnType<typeof newRequestDuration>;
const requestDurations = new WeakMap<MetricsRegistry, RequestDuration>();

function newRequestDuration(metrics: MetricsRegistry) {
  return metrics.histogram({
    name: 'astrix_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
}

/** One histogram per registry, shared by every listener of the process (the API's, the checks'). */
function requestDuration(metrics: MetricsRegistry): RequestDuration {
  let duration = requestDurations.get(metrics);
  if (!duration) {
    duration = newRequestDuration(metrics);
    requestDurations.set(metrics, duration);
  }
  return duration;
}

/** Records one request in the process's request-duration histogram. */
export type RequestObserver = (route: string, method: string, statusCode: number, seconds: number) => void;

/**
 * The histogram's observer, for a listener that records its requests in its handlers rather than in
 * an `onResponse` hook (a hook run is a measurable share of a request that does little else).
 */
export function requestObserver(metrics: MetricsRegistry): RequestObserver {
  const duration = requestDuration(metrics);
  return (route, method, statusCode, seconds) =>
    duration.observe({ route, method, status_code: statusCode }, seconds);
}

/**
 * One histogram observation per request, on response: labelled by the route pattern
 * (`/v1/invoices/:id`, never the raw URL), method and status code. Fastify measures the time.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: MetricsRegistry): void {
  const observe = requestObserver(metrics);
  fastify.addHook('onResponse', (request, reply, done) => {
    observe(
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
