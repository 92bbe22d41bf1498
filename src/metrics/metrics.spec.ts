import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry, Metrics, statusClass } from './metrics.js';

/** `name{labels} value` lines of the exposition, as a map. */
async function samples(sut: Metrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await sut.render()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

void describe('Metrics', () => {
  it('counts what the hooks report, with known label values starting at 0', async () => {
    const sut = new Metrics(createRegistry());
    sut.delivery('delivered');
    sut.delivery('delivered');
    sut.deliveryAttempt(202, 0.2);
    sut.deliveryAttempt(null, 15);
    sut.delivered(3);
    sut.inbox('Follow', 'handled');
    sut.signatureFailure('keyFetchError');
    sut.ingest('http', 'applied');
    sut.feedPoll('not-modified');
    const s = await samples(sut);
    assert.equal(s.get('bridge_deliveries_total{outcome="delivered"}'), 2);
    assert.equal(s.get('bridge_deliveries_total{outcome="gone"}'), 0);
    assert.equal(s.get('bridge_delivery_attempt_duration_seconds_count{status_class="2xx"}'), 1);
    assert.equal(
      s.get('bridge_delivery_attempt_duration_seconds_bucket{le="10",status_class="error"}'),
      0,
    );
    assert.equal(s.get('bridge_delivery_time_to_delivered_seconds_sum'), 3);
    assert.equal(s.get('bridge_inbox_activities_total{type="Follow",outcome="handled"}'), 1);
    assert.equal(s.get('bridge_inbox_signature_failures_total{reason="key_fetch_error"}'), 1);
    assert.equal(s.get('bridge_inbox_signature_failures_total{reason="no_signature"}'), 0);
    assert.equal(s.get('bridge_ingested_events_total{source="http",outcome="applied"}'), 1);
    assert.equal(s.get('bridge_ingested_events_total{source="kafka",outcome="rejected"}'), 0);
    assert.equal(s.get('bridge_feed_polls_total{outcome="not-modified"}'), 1);
    assert.ok(s.has('bridge_process_cpu_seconds_total'), 'default metrics, prefixed');
    assert.ok(s.has('bridge_nodejs_eventloop_lag_seconds'));
  });

  it('reads sources on scrape; a failed one leaves no series and says so', async () => {
    const sut = new Metrics(createRegistry());
    sut.queueSource(() =>
      Promise.resolve([
        {
          queue: 'deliver',
          counts: { waiting: 4, active: 2, delayed: 1, failed: 0 },
          oldestWaitingS: 12.5,
        },
      ]),
    );
    sut.commentSource(() => Promise.resolve({ approved: 3, pending: 0 }));
    sut.kafkaLagSource(() => Promise.reject(new Error('brokers down')));
    const s = await samples(sut);
    assert.equal(s.get('bridge_queue_jobs{queue="deliver",state="waiting"}'), 4);
    assert.equal(s.get('bridge_queue_jobs{queue="deliver",state="delayed"}'), 1);
    assert.equal(s.get('bridge_queue_oldest_waiting_job_age_seconds{queue="deliver"}'), 12.5);
    assert.equal(s.get('bridge_comments{status="approved"}'), 3);
    assert.equal(s.get('bridge_metrics_collector_up{collector="queues"}'), 1);
    assert.equal(s.get('bridge_metrics_collector_up{collector="kafka"}'), 0);
    assert.equal([...s.keys()].filter((k) => k.startsWith('bridge_kafka_consumer_lag')).length, 0);
  });

  it('exposes Kafka lag per partition', async () => {
    const sut = new Metrics(createRegistry());
    sut.kafkaLagSource(() =>
      Promise.resolve({
        topic: 'articles.events',
        partitions: [
          { partition: 0, lag: 0 },
          { partition: 1, lag: 42 },
        ],
      }),
    );
    const s = await samples(sut);
    assert.equal(s.get('bridge_kafka_consumer_lag{topic="articles.events",partition="1"}'), 42);
    assert.equal(s.get('bridge_kafka_consumer_lag{topic="articles.events",partition="0"}'), 0);
  });

  it('two instances keep separate registries', async () => {
    const [a, b] = [new Metrics(createRegistry()), new Metrics(createRegistry())];
    a.delivery('failed');
    assert.equal((await samples(a)).get('bridge_deliveries_total{outcome="failed"}'), 1);
    assert.equal((await samples(b)).get('bridge_deliveries_total{outcome="failed"}'), 0);
  });

  it('status classes are bounded', () => {
    assert.deepEqual([200, 202, 301, 410, 503, null, 99, 700].map(statusClass), [
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '5xx',
      'error',
      'other',
      'other',
    ]);
  });
});
