import { MetricsRegistry } from './metrics-registry';
import { readySince } from './platform-metrics';

describe('MetricsRegistry', () => {
  it('leaves out a gauge whose source fails at scrape time, and still answers the scrape', async () => {
    const metrics = new MetricsRegistry();
    metrics.gaugeOnScrape({ name: 'astrix_test_broken', help: 'fails' }, () =>
      Promise.reject(new Error('database away')),
    );
    metrics.gaugeOnScrape({ name: 'astrix_test_fine', help: 'works', labelNames: ['kind'] }, (gauge) => {
      gauge.set({ kind: 'a' }, 3);
      return Promise.resolve();
    });
    const body = await metrics.metrics();
    expect(body).toContain('astrix_test_fine{kind="a"} 3');
    expect(body).not.toMatch(/^astrix_test_broken /m);
    expect(body).toContain('# TYPE astrix_test_broken gauge');
  });

  it('resets a gauge before each scrape, so label sets that vanished disappear', async () => {
    const metrics = new MetricsRegistry();
    let kinds = ['a', 'b'];
    metrics.gaugeOnScrape({ name: 'astrix_test_kinds', help: 'kinds', labelNames: ['kind'] }, (gauge) => {
      for (const kind of kinds) gauge.set({ kind }, 1);
      return Promise.resolve();
    });
    expect(await metrics.metrics()).toContain('astrix_test_kinds{kind="b"} 1');
    kinds = ['a'];
    const second = await metrics.metrics();
    expect(second).toContain('astrix_test_kinds{kind="a"} 1');
    expect(second).not.toContain('kind="b"');
  });

  it('shares one read between the gauges of a scrape', async () => {
    const metrics = new MetricsRegistry();
    let reads = 0;
    const read = metrics.sharedRead(() => Promise.resolve({ backlog: 5, lag: 7, read: (reads += 1) }));
    metrics.gaugeOnScrape({ name: 'astrix_test_backlog', help: 'b' }, async (gauge) =>
      gauge.set((await read()).backlog),
    );
    metrics.gaugeOnScrape({ name: 'astrix_test_lag', help: 'l' }, async (gauge) =>
      gauge.set((await read()).lag),
    );
    const body = await metrics.metrics();
    expect(body).toContain('astrix_test_backlog 5');
    expect(body).toContain('astrix_test_lag 7');
    expect(reads).toBe(1);
  });

  it('counts relayed events by type for counters derived from them', async () => {
    const metrics = new MetricsRegistry();
    metrics.eventsRelayed.inc({ type: 'billing.payment.completed' });
    metrics.eventsRelayed.inc({ type: 'billing.payment.completed' });
    expect(await metrics.eventCount('billing.payment.completed')).toBe(2);
    expect(await metrics.eventCount('billing.payment.failed')).toBe(0);
  });
});

describe('readySince', () => {
  it('is when the job was added plus the delay it was added with', () => {
    expect(readySince({ timestamp: 1_000, delay: 500 })).toBe(1_500);
    expect(readySince({ timestamp: 1_000, delay: 0 })).toBe(1_000);
  });
});
