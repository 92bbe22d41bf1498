import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CommentEvents1795329085660 implements MigrationInterface {
  name = 'CommentEvents1795329085660';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "comment_events" ("seq" BIGSERIAL NOT NULL, "comment_id" uuid NOT NULL, "type" character varying(32) NOT NULL, "snapshot" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "kafka_done_at" TIMESTAMP WITH TIME ZONE, "webhooks_done_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6e3f4d6269a12127b7b5bbb67c0" PRIMARY KEY ("seq"))',
    );
    await queryRunner.query(
      'CREATE INDEX "comment_events_created_idx" ON "comment_events"  ("created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "comment_events_webhooks_pending_idx" ON "comment_events"  ("seq") WHERE webhooks_done_at IS NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "comment_events_kafka_pending_idx" ON "comment_events"  ("seq") WHERE kafka_done_at IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "comment_webhook_deliveries" ("event_seq" bigint NOT NULL, "url" text NOT NULL, "status" character varying(16) NOT NULL DEFAULT \'pending\', "attempts" integer NOT NULL DEFAULT \'0\', "last_status" integer, "last_error" text, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_bb513339f509fd51cf598900936" PRIMARY KEY ("event_seq", "url"))',
    );
    await queryRunner.query(
      'CREATE INDEX "comment_webhook_deliveries_status_idx" ON "comment_webhook_deliveries"  ("status", "updated_at") ',
    );
    await queryRunner.query('ALTER TABLE "comments" ADD "local_author_id" uuid');
    await queryRunner.query('ALTER TABLE "comments" ADD "platform_id" text');
    await queryRunner.query(
      'ALTER TABLE "comments" ADD CONSTRAINT "UQ_f2e163b49d4af7c0c3137efd823" UNIQUE ("platform_id")',
    );
    await queryRunner.query(
      'ALTER TABLE "comments" ADD CONSTRAINT "FK_1b538cdc824bfd03b4ff7cd089f" FOREIGN KEY ("local_author_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "comment_webhook_deliveries" ADD CONSTRAINT "FK_ae8891ae70e419c201536761a68" FOREIGN KEY ("event_seq") REFERENCES "comment_events"("seq") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    // Written by hand: every change of a comment the platform hears about becomes a
    // comment_events row in the same transaction, whichever code path made it.
    await queryRunner.query(`CREATE FUNCTION comments_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        kind text;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          kind := 'comment.created';
        ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
          IF NEW.status = 'approved' THEN
            kind := 'comment.approved';
          ELSIF NEW.status IN ('removed', 'rejected') THEN
            -- Leaving the shown set once is one deletion; rejected then removed is not two.
            IF OLD.status IN ('removed', 'rejected') THEN
              RETURN NULL;
            END IF;
            kind := 'comment.deleted';
          ELSE
            kind := 'comment.updated';
          END IF;
        ELSIF (NEW.content_html, NEW.summary, NEW.sensitive, NEW.attachments, NEW.language,
               NEW.edited_at)
              IS DISTINCT FROM
              (OLD.content_html, OLD.summary, OLD.sensitive, OLD.attachments, OLD.language,
               OLD.edited_at) THEN
          -- Edits of a removed or rejected comment are kept, but are no news to the platform.
          IF NEW.status IN ('removed', 'rejected') THEN
            RETURN NULL;
          END IF;
          kind := 'comment.updated';
        ELSE
          RETURN NULL;
        END IF;
        INSERT INTO comment_events (comment_id, type, snapshot) VALUES (NEW.id, kind, to_jsonb(NEW));
        RETURN NULL;
      END
    $$`);
    await queryRunner.query(
      'CREATE TRIGGER comments_event AFTER INSERT OR UPDATE ON comments FOR EACH ROW EXECUTE FUNCTION comments_event()',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER comments_event ON comments');
    await queryRunner.query('DROP FUNCTION comments_event()');
    await queryRunner.query(
      'ALTER TABLE "comment_webhook_deliveries" DROP CONSTRAINT "FK_ae8891ae70e419c201536761a68"',
    );
    await queryRunner.query(
      'ALTER TABLE "comments" DROP CONSTRAINT "FK_1b538cdc824bfd03b4ff7cd089f"',
    );
    await queryRunner.query(
      'ALTER TABLE "comments" DROP CONSTRAINT "UQ_f2e163b49d4af7c0c3137efd823"',
    );
    await queryRunner.query('ALTER TABLE "comments" DROP COLUMN "platform_id"');
    await queryRunner.query('ALTER TABLE "comments" DROP COLUMN "local_author_id"');
    await queryRunner.query('DROP INDEX "public"."comment_webhook_deliveries_status_idx"');
    await queryRunner.query('DROP TABLE "comment_webhook_deliveries"');
    await queryRunner.query('DROP INDEX "public"."comment_events_kafka_pending_idx"');
    await queryRunner.query('DROP INDEX "public"."comment_events_webhooks_pending_idx"');
    await queryRunner.query('DROP INDEX "public"."comment_events_created_idx"');
    await queryRunner.query('DROP TABLE "comment_events"');
  }
}
