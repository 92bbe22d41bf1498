import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import {
  createTestSchema,
  openTestDataSource,
  type TestSchema,
} from '../../../test/support/database.js';
import type { InboundComment } from '../comment.js';
import { CommentRepository } from '../comment.repository.js';
import { ModerationRepository } from '../moderation.repository.js';
import { commentEventMessage } from './comment-event.js';
import { CommentEventsRepository } from './comment-events.repository.js';

// The comments_event trigger and the events repository on a real, migrated schema: which change
// writes which event, with the row as it was right after it.
void describe('comment events (trigger and repository)', () => {
  let schema: TestSchema;
  let db: DataSource;
  let comments: CommentRepository;
  let moderation: ModerationRepository;
  let sut: CommentEventsRepository;
  let articleId: string;

  before(async () => {
    schema = await createTestSchema();
    db = await openTestDataSource(schema);
    comments = new CommentRepository(db);
    moderation = new ModerationRepository(db);
    sut = new CommentEventsRepository(db);
    const [actor] = await db.query<{ id: string }[]>(
      `INSERT INTO actors (kind, platform_id, handle, platform_handle, name)
       VALUES ('author', 'u-1', 'u1', 'u1', 'U') RETURNING id`,
    );
    assert.ok(actor);
    const [article] = await db.query<{ id: string }[]>(
      `INSERT INTO articles (platform_id, canonical_url, title, content_html, tags, visibility,
         primary_author_id, author_ids, content_hash, published_at, source_updated_at, last_event_id)
       VALUES ('story-1', 'https://stories.example/1', 'T', '<p>x</p>', '[]', 'public', $1, $2,
         'h', now(), now(), $3)
       RETURNING id`,
      [actor.id, JSON.stringify([actor.id]), randomUUID()],
    );
    assert.ok(article);
    articleId = article.id;
  });
  after(async () => {
    await db.destroy();
    await schema.drop();
  });

  const reply = (n: number): InboundComment => ({
    apId: `https://remote.example/notes/${n}`,
    url: null,
    articleId,
    parentId: null,
    depth: 0,
    author: {
      actorId: 'https://remote.example/users/alice',
      handle: '@alice@remote.example',
      name: 'Alice',
      avatarUrl: null,
      profileUrl: null,
      host: 'remote.example',
    },
    contentHtml: `<p>reply ${n}</p>`,
    contentText: `reply ${n}`,
    language: 'en',
    summary: null,
    sensitive: false,
    attachments: [],
    publishedAt: new Date('2026-11-22T07:00:00Z'),
    editedAt: null,
    visibility: 'public',
  });

  /** Events not yet relayed to Kafka, as messages; then marks them relayed. */
  async function drain() {
    return db.transaction(async (tx) => {
      const pending = await sut.pending(tx, 'kafka', 100);
      await sut.markDone(
        tx,
        'kafka',
        pending.map((e) => e.seq),
      );
      return pending.map(commentEventMessage);
    });
  }

  it('insert, edit, moderation and removal each write one event; other updates none', async () => {
    await drain();
    const { id } = await comments.insert(reply(1), 'pending');
    assert.equal(await moderation.setStatus(id, 'approved'), 'approved');
    assert.equal(await moderation.setStatus(id, 'approved'), 'approved'); // unchanged: no event
    await db.query('UPDATE comments SET updated_at = now() WHERE id = $1', [id]); // no event
    assert.ok(
      await comments.edit(reply(1).apId, reply(1).author.actorId, {
        ...reply(1),
        contentHtml: '<p>edited</p>',
        contentText: 'edited',
        editedAt: new Date('2026-11-22T08:00:00Z'),
      }),
    );
    assert.ok(
      await comments.removeOrTombstone(
        reply(1).apId,
        reply(1).author.actorId,
        'deleted by its author',
      ),
    );
    const events = await drain();
    assert.deepEqual(
      events.map((e) => [e.type, e.comment.status, e.comment.contentText]),
      [
        ['comment.created', 'pending', 'reply 1'],
        ['comment.approved', 'approved', 'reply 1'],
        ['comment.updated', 'approved', 'edited'],
        ['comment.deleted', 'removed', 'edited'],
      ],
    );
    const ids = events.map((e) => BigInt(e.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => (a < b ? -1 : 1)),
      'ids increase',
    );
    const [created, , updated, deleted] = events;
    assert.ok(created && updated && deleted);
    assert.deepEqual(created.article, { platformId: 'story-1', id: articleId });
    assert.equal(created.comment.id, id);
    assert.equal(created.comment.publishedAt, '2026-11-22T07:00:00.000Z');
    assert.equal(updated.comment.editedAt, '2026-11-22T08:00:00.000Z');
    assert.equal(deleted.comment.removalReason, 'deleted by its author');
    assert.deepEqual(await drain(), [], 'marked relayed');
  });

  it('a rejection is a deletion, and the last event of a comment out of sight; a sink not configured is passed over', async () => {
    const { id } = await comments.insert(reply(2), 'approved');
    await moderation.setStatus(id, 'rejected');
    // Once out of sight: an edit, then the author's Delete, are no more news.
    assert.ok(
      await comments.edit(reply(2).apId, reply(2).author.actorId, {
        ...reply(2),
        contentHtml: '<p>edited while rejected</p>',
        contentText: 'edited while rejected',
        editedAt: new Date('2026-11-22T08:00:00Z'),
      }),
    );
    assert.ok(await comments.removeOrTombstone(reply(2).apId, reply(2).author.actorId, 'gone'));
    const types = await db.transaction(async (tx) =>
      (await sut.pending(tx, 'webhooks', 100))
        .filter((e) => e.snapshot.id === id)
        .map((e) => e.type),
    );
    assert.deepEqual(types, ['comment.created', 'comment.deleted']);
    const passed = await db.transaction((tx) => sut.passOver(tx, 'webhooks'));
    assert.ok(passed >= 2);
    assert.equal((await db.transaction((tx) => sut.pending(tx, 'webhooks', 100))).length, 0);
  });

  it('webhook deliveries record their attempts; failed ones are listed', async () => {
    await comments.insert(reply(3), 'approved');
    const [event] = await db.transaction((tx) => sut.pending(tx, 'kafka', 1));
    assert.ok(event);
    const urls = ['https://hooks.example/a', 'https://hooks.example/b'];
    await db.transaction((tx) => sut.addWebhookDeliveries(tx, [event.seq], urls));
    await db.transaction((tx) => sut.addWebhookDeliveries(tx, [event.seq], urls)); // no repeat
    await sut.recordAttempt(event.seq, urls[0] ?? '', {
      status: 'delivered',
      httpStatus: 204,
      error: null,
    });
    await sut.recordAttempt(event.seq, urls[1] ?? '', {
      status: 'pending',
      httpStatus: 500,
      error: 'HTTP 500',
    });
    await sut.recordAttempt(event.seq, urls[1] ?? '', {
      status: 'failed',
      httpStatus: null,
      error: 'timeout',
    });
    const failed = await sut.failedWebhooks(10);
    assert.deepEqual(
      failed.map((f) => [f.seq, f.url, f.attempts, f.lastStatus, f.lastError]),
      [[event.seq, 'https://hooks.example/b', 2, null, 'timeout']],
    );
    assert.deepEqual(await sut.event(event.seq), event);
  });
});
