import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Queue } from 'bullmq';
import { readQueueDepth, waitedSeconds } from './queue-depth.js';

void describe('queue depth', () => {
  it('a waiting job has waited since it was added, or since its delay ran out', () => {
    assert.equal(waitedSeconds({ timestamp: 10_000, delay: 0 }, 12_500), 2.5);
    assert.equal(waitedSeconds({ timestamp: 10_000, delay: 2_000 }, 12_500), 0.5);
    assert.equal(waitedSeconds({ timestamp: 10_000, delay: 0 }, 9_000), 0, 'clock skew: never < 0');
  });

  it('reads the four states and the oldest end of the waiting list', async () => {
    const asked: unknown[] = [];
    const queue = {
      name: 'deliver',
      getJobCounts: (...types: string[]) => {
        asked.push(types);
        return Promise.resolve({ waiting: 30, active: 1, delayed: 0, failed: 2 });
      },
      getRanges: (types: string[], start: number, end: number, asc: boolean) => {
        asked.push([types, start, end, asc]);
        return Promise.resolve(['30', '29', '28']); // newest first; 27 were taken meanwhile
      },
      getJob: (id: string) => {
        asked.push(id);
        return Promise.resolve({ timestamp: 1_000, delay: 0 });
      },
    } as unknown as Queue;
    const sut = await readQueueDepth(queue, () => 61_000);
    assert.deepEqual(sut, {
      queue: 'deliver',
      counts: { waiting: 30, active: 1, delayed: 0, failed: 2 },
      oldestWaitingS: 60,
    });
    assert.deepEqual(asked, [
      ['waiting', 'active', 'delayed', 'failed'],
      [['waiting'], 10, 29, false],
      '28',
    ]);
  });

  it('an empty waiting list is not read', async () => {
    const queue = {
      name: 'feeds',
      getJobCounts: () => Promise.resolve({ waiting: 0, active: 0, delayed: 4, failed: 0 }),
    } as unknown as Queue;
    assert.equal((await readQueueDepth(queue)).oldestWaitingS, 0);
  });
});
