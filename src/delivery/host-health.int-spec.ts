import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestSchema, type TestSchema } from '../../test/support/database.js';
import { HostHealth, type Queryable } from './host-health.js';

describe('HostHealth (delivery_hosts on Postgres)', () => {
  let schema: TestSchema;
  let db: Queryable;

  before(async () => {
    schema = await createTestSchema();
    db = {
      // Answers like TypeORM's DataSource.query, which the service passes in.
      query: async (sql: string, params?: unknown[]): Promise<unknown> => {
        const result = await schema.pool.query<Record<string, unknown>>(sql, params);
        return result.command === 'UPDATE' || result.command === 'DELETE'
          ? [result.rows, result.rowCount]
          : result.rows;
      },
    } as Queryable;
  });
  after(async () => {
    await schema.drop();
  });

  const health = () => new HostHealth(db, { refreshMs: 0, failuresToOpen: 3, baseOpenMs: 60_000 });

  it('sends to hosts it knows nothing bad about, without writing a row', async () => {
    const h = health();
    assert.deepEqual(await h.decide('fine.example'), { kind: 'send' });
    await h.recordSuccess('fine.example');
    assert.equal(await h.state('fine.example'), null);
  });

  it('opens the breaker after consecutive failures, lets one probe through, closes on success', async () => {
    const h = health();
    await h.recordFailure('flaky.example', 'HTTP 502');
    await h.recordFailure('flaky.example', 'HTTP 502');
    assert.equal((await h.decide('flaky.example')).kind, 'send', 'two failures: still closed');
    const before = Date.now();
    const third = await h.recordFailure('flaky.example', 'timeout: deadline passed');
    assert.equal(third.consecutiveFailures, 3);
    assert.ok(third.openUntil !== null);
    const wait = await h.decide('flaky.example');
    assert.ok(wait.kind === 'wait', wait.kind);
    // The database's clock and ours may differ by a few milliseconds.
    assert.ok(wait.untilMs >= before + 59_000 && wait.untilMs <= Date.now() + 61_000);

    // Stragglers failing while it is open do not stretch the wait.
    const fourth = await h.recordFailure('flaky.example', 'HTTP 503');
    assert.equal(fourth.openUntil?.getTime(), third.openUntil.getTime());

    // A failed probe of a host failing for ten minutes keeps it closed for ten more.
    await schema.pool.query(
      `UPDATE delivery_hosts SET open_until = now() - interval '1 second',
              failing_since = now() - interval '10 minutes' WHERE host = 'flaky.example'`,
    );
    const probe = await h.recordFailure('flaky.example', 'HTTP 503');
    const waitMs = (probe.openUntil?.getTime() ?? 0) - Date.now();
    assert.ok(waitMs > 590_000 && waitMs < 601_000, `${waitMs} ms`);

    // The wait is over: exactly one caller (across processes) gets the probe.
    await schema.pool.query(
      `UPDATE delivery_hosts SET open_until = now() - interval '1 second' WHERE host = 'flaky.example'`,
    );
    const other = health();
    const first = await h.decide('flaky.example');
    const second = await other.decide('flaky.example');
    assert.equal(first.kind, 'send');
    assert.equal(second.kind, 'wait', 'a second probe waits while the first is under way');

    await h.recordSuccess('flaky.example');
    const state = await h.state('flaky.example');
    assert.equal(state?.consecutiveFailures, 0);
    assert.equal(state.openUntil, null);
    assert.equal(state.failureDays, 0);
    assert.deepEqual(await other.decide('flaky.example'), { kind: 'send' });
  });

  it('counts failure days once per day and marks the host unavailable on the seventh', async () => {
    const h = health();
    await h.recordFailure('dead.example', 'network: ECONNREFUSED');
    await h.recordFailure('dead.example', 'network: ECONNREFUSED');
    assert.equal((await h.state('dead.example'))?.failureDays, 1, 'the same day counts once');
    // Six earlier days with failures, as if the host had been failing for a week.
    await schema.pool.query(
      `UPDATE delivery_hosts
          SET failure_days = ARRAY(SELECT (now() AT TIME ZONE 'UTC')::date - d FROM generate_series(1, 6) d),
              consecutive_failures = 0, open_until = NULL
        WHERE host = 'dead.example'`,
    );
    assert.equal((await h.decide('dead.example')).kind, 'send');
    const state = await h.recordFailure('dead.example', 'network: ECONNREFUSED');
    assert.equal(state.failureDays, 7);
    assert.ok(state.unavailableSince !== null);
    const decision = await h.decide('dead.example');
    assert.ok(decision.kind === 'skip', decision.kind);
    assert.match(decision.reason, /unavailable.*7 distinct days/);

    // A signed request from the host proves it is back.
    await h.seen('dead.example');
    assert.deepEqual(await h.decide('dead.example'), { kind: 'send' });
    const after = await h.state('dead.example');
    assert.equal(after?.unavailableSince, null);
    assert.equal(after.failureDays, 0);
  });

  it('a success also makes an unavailable host available again', async () => {
    const h = health();
    await schema.pool.query(
      `INSERT INTO delivery_hosts (host, failure_days, unavailable_since)
       VALUES ('back.example', ARRAY[current_date - 1], now())`,
    );
    assert.equal((await h.decide('back.example')).kind, 'skip');
    await h.recordSuccess('back.example');
    assert.deepEqual(await h.decide('back.example'), { kind: 'send' });
  });
});
