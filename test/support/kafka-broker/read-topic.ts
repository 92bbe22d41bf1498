import type { IHeaders, Kafka } from 'kafkajs';
import { waitFor } from '../database.js';

/** A message as a test reads it back: key, value and headers as strings. */
export interface ReadMessage {
  readonly key: string | undefined;
  readonly value: string | undefined;
  readonly headers: Record<string, string>;
}

/** Headers as strings (repeated values joined with commas). */
export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(',') : value.toString();
  }
  return out;
}

/**
 * Reads `topic` from the beginning with a consumer group of its own (fast test timings) until at
 * least `count` messages arrived, then disconnects and returns them.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  options: { groupId?: string; timeoutMs?: number } = {},
): Promise<ReadMessage[]> {
  const reader = kafka.consumer({
    groupId: options.groupId ?? `reader-${topic}-${Date.now()}`,
    maxWaitTimeInMs: 100,
    heartbeatInterval: 100,
    sessionTimeout: 3_000,
    rebalanceTimeout: 3_000,
  });
  const received: ReadMessage[] = [];
  try {
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({
      eachMessage: ({ message }) => {
        received.push({
          key: message.key?.toString(),
          value: message.value?.toString(),
          headers: headerStrings(message.headers),
        });
        return Promise.resolve();
      },
    });
    await waitFor(
      () => received.length >= count,
      options.timeoutMs ?? 10_000,
      `${count} messages on ${topic}`,
    );
    return received;
  } finally {
    await reader.disconnect();
  }
}
