import type { CommitHandler, CommitListener } from '../../../platform/database/commit-listener';
import { CustomerSnapshots, readSnapshot, type UsageRead } from './customer-snapshots';

/** A listener that is connected (generation 1) and hands notices to the test. */
function listening(): { listener: CommitListener; notify: (payload: string | null) => void } {
  let handler: CommitHandler = () => undefined;
  const listener = {
    listening: true,
    generation: 1,
    on: (_channel: string, registered: CommitHandler) => (handler = registered),
  } as unknown as CommitListener;
  return { listener, notify: (payload) => handler(payload) };
}

const PERIOD = { startMs: 1_000, endMs: 2_000 };
/** Read in a snapshot that saw every transaction under 100, and 100 to 104 but 102. */
const SUM_READ: UsageRead = { aggregation: 'sum', snapshot: readSnapshot('100:105:102') };
const added = (xid: number, ...groups: string[]) => `usage;${xid};${groups.join(';')}`;

describe('CustomerSnapshots: usage totals counted at ingest', () => {
  let snapshots: CustomerSnapshots;
  let notify: (payload: string | null) => void;

  beforeEach(() => {
    const fake = listening();
    snapshots = new CustomerSnapshots(fake.listener);
    notify = fake.notify;
    snapshots.listenForChanges();
    notify(null); // connected: from now on nothing is missed
  });

  const keep = (value: number, read: UsageRead = SUM_READ, customerId = 'cust_a', featureId = 'calls') => {
    const mark = snapshots.beginRead();
    snapshots.keepUsage(customerId, featureId, PERIOD, value, mark, read);
    snapshots.endRead();
  };
  const held = (customerId = 'cust_a', featureId = 'calls') =>
    snapshots.usageOf(customerId, featureId, PERIOD);

  it('adds what transactions the read did not see inserted in the period', () => {
    keep(10);
    notify(added(102, 'cust_a,calls,1100,1200,5,2,0')); // in progress when read
    expect(held()).toBe(15);
    notify(added(105, 'cust_a,calls,1000,1999,3,1,0')); // began after the read; the period's first and last ms
    expect(held()).toBe(18);
    notify(added(250, 'cust_a,calls,1500,1500,-4,1,1')); // a correction's negative quantity counts in a sum
    expect(held()).toBe(14);
  });

  it('adds nothing for a transaction the read already saw', () => {
    keep(10);
    notify(added(99, 'cust_a,calls,1100,1200,5,2,0'));
    notify(added(101, 'cust_a,calls,1100,1200,5,2,0'));
    notify(added(104, 'cust_a,calls,1100,1200,5,2,0'));
    expect(held()).toBe(10);
  });

  it('ignores events all outside the period, and drops the total when some are in and some out', () => {
    keep(10);
    notify(added(200, 'cust_a,calls,500,999,7,1,0'));
    notify(added(201, 'cust_a,calls,2000,2500,7,1,0'));
    expect(held()).toBe(10);
    notify(added(202, 'cust_a,calls,900,1100,7,2,0'));
    expect(held()).toBeUndefined();
    keep(10);
    notify(added(203, 'cust_a,calls,1900,2000,7,2,0'));
    expect(held()).toBeUndefined();
  });

  it('counts events less corrections for a count, and drops what amounts cannot update', () => {
    keep(4, { aggregation: 'count', snapshot: SUM_READ.snapshot });
    notify(added(300, 'cust_a,calls,1100,1200,9,4,1')); // 4 events, 1 of them a correction: 3 - 1
    expect(held()).toBe(6);
    for (const aggregation of ['max', 'latest', 'unique_count']) {
      keep(4, { aggregation, snapshot: SUM_READ.snapshot });
      notify(added(301, 'cust_a,calls,1100,1200,9,3,0'));
      expect(held()).toBeUndefined();
    }
    keep(4, { aggregation: 'sum', snapshot: null }); // read without a snapshot: nothing to tell it by
    notify(added(302, 'cust_a,calls,1100,1200,9,3,0'));
    expect(held()).toBeUndefined();
  });

  it('drops a total on a notice it cannot read', () => {
    for (const notice of [
      added(400, 'cust_a,calls,1100,1200,9'),
      added(400, 'cust_a,calls,1100,x,9,1,0'),
      'usage;not-a-number;cust_a,calls,1100,1200,9,1,0',
    ]) {
      keep(10);
      notify(notice);
      expect(held()).toBeUndefined();
    }
  });

  it("touches only the notice's customers and features", () => {
    keep(10, SUM_READ, 'cust_a', 'calls');
    keep(20, SUM_READ, 'cust_a', 'orders');
    keep(30, SUM_READ, 'cust_b', 'calls');
    notify(added(500, 'cust_a,calls,1100,1200,1,1,0', 'cust_c,calls,1100,1200,1,1,0'));
    expect([held('cust_a', 'calls'), held('cust_a', 'orders'), held('cust_b', 'calls')]).toEqual([
      11, 20, 30,
    ]);
  });

  it('does not keep a total read while usage of the customer was being announced', () => {
    const mark = snapshots.beginRead();
    notify(added(600, 'cust_a,calls,1100,1200,5,1,0'));
    snapshots.keepUsage('cust_a', 'calls', PERIOD, 10, mark, SUM_READ);
    snapshots.endRead();
    expect(held()).toBeUndefined();
  });

  it("keeps the customer's rows when only usage was added, and drops them on other changes", () => {
    const row = { customerId: 'cust_a', onHold: false, subscriptions: [], entitlements: [] };
    const mark = snapshots.beginRead();
    snapshots.keep('trader-a', mark, row);
    snapshots.endRead();
    notify(added(700, 'cust_a,calls,1100,1200,5,1,0'));
    expect(snapshots.get('trader-a')).toBe(row);
    notify('cust_a');
    expect(snapshots.get('trader-a')).toBeUndefined();
  });
});

describe('readSnapshot', () => {
  it('reads pg_current_snapshot() text', () => {
    expect(readSnapshot('100:105:')).toEqual({ xmin: 100n, xmax: 105n, inProgress: new Set() });
    expect(readSnapshot('100:105:101,103')).toEqual({
      xmin: 100n,
      xmax: 105n,
      inProgress: new Set([101n, 103n]),
    });
  });

  it('refuses anything else', () => {
    for (const text of [null, undefined, '', '100:105', '100:x:', '100:105:1,a', '-1:105:']) {
      expect(readSnapshot(text)).toBeNull();
    }
  });
});
