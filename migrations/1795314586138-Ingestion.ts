import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Ingestion1795314586138 implements MigrationInterface {
  name = 'Ingestion1795314586138';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "articles" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "platform_id" text NOT NULL, "canonical_url" text NOT NULL, "title" text NOT NULL, "subtitle" text, "content_html" text NOT NULL, "excerpt" text, "language" character varying(35), "tags" jsonb NOT NULL, "cover_image" jsonb, "visibility" character varying(16) NOT NULL, "content_warning" text, "comments_enabled" boolean NOT NULL DEFAULT true, "primary_author_id" uuid NOT NULL, "author_ids" jsonb NOT NULL, "publication_id" uuid, "content_hash" character varying(64) NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE NOT NULL, "source_updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted_at" TIMESTAMP WITH TIME ZONE, "last_event_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "modified_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0a6e2c450d83e0b6052c2793334" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "articles_primary_author_idx" ON "articles"  ("primary_author_id", "published_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "articles_publication_idx" ON "articles"  ("publication_id", "published_at") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "articles_platform_id_key" ON "articles"  ("platform_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "article_changes" ("id" BIGSERIAL NOT NULL, "article_id" uuid NOT NULL, "change" character varying(16) NOT NULL, "event_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "enqueued_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_7715f3636025ee5adc6122fa122" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "article_changes_article_idx" ON "article_changes"  ("article_id", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "article_changes_unenqueued_idx" ON "article_changes"  ("id") WHERE enqueued_at IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "ingest_log" ("id" BIGSERIAL NOT NULL, "event_id" uuid, "source" character varying(16) NOT NULL, "origin" text, "event_type" character varying(32), "article_platform_id" text, "outcome" character varying(16) NOT NULL, "reason" character varying(64), "message" text, "problems" jsonb, "change_id" bigint, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ec3834d6a9b67c8d8eb8a1c33c2" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "ingest_log_received_idx" ON "ingest_log"  ("received_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "ingest_log_article_idx" ON "ingest_log"  ("article_platform_id", "id") ',
    );
    await queryRunner.query('CREATE INDEX "ingest_log_event_idx" ON "ingest_log"  ("event_id") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "ingest_log_event_effect_key" ON "ingest_log"  ("event_id") WHERE outcome IN (\'applied\', \'unchanged\', \'stale\')',
    );
    await queryRunner.query(
      'CREATE TABLE "feeds" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "url" text NOT NULL, "registered_url" text NOT NULL, "owner_id" uuid NOT NULL, "min_interval_s" integer NOT NULL, "max_interval_s" integer NOT NULL, "backfill" integer NOT NULL DEFAULT \'0\', "status" character varying(16) NOT NULL DEFAULT \'active\', "disabled_reason" text, "title" text, "etag" text, "last_modified" text, "baselined" boolean NOT NULL DEFAULT false, "interval_s" integer NOT NULL, "next_poll_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_polled_at" TIMESTAMP WITH TIME ZONE, "last_success_at" TIMESTAMP WITH TIME ZONE, "last_status" integer, "consecutive_failures" integer NOT NULL DEFAULT \'0\', "last_error" text, "websub_hub" text, "websub_topic" text, "websub_state" character varying(16) NOT NULL DEFAULT \'none\', "websub_token" character varying(64) NOT NULL, "websub_secret" character varying(64), "websub_expires_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3dafbf766ecbb1eb2017732153f" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "feeds_websub_token_key" ON "feeds"  ("websub_token") ',
    );
    await queryRunner.query(
      'CREATE INDEX "feeds_due_idx" ON "feeds"  ("next_poll_at") WHERE status <> \'disabled\'',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "feeds_url_key" ON "feeds"  ("url") ');
    await queryRunner.query(
      'CREATE TABLE "feed_items" ("feed_id" uuid NOT NULL, "item_key" text NOT NULL, "content_hash" character varying(64) NOT NULL, "article_platform_id" text NOT NULL, "federated" boolean NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE, "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8d29deba8866c5d7f1cdc70d599" PRIMARY KEY ("feed_id", "item_key"))',
    );
    await queryRunner.query(
      'ALTER TABLE "articles" ADD CONSTRAINT "FK_b6a84f12b9cef5ab19a76619efa" FOREIGN KEY ("primary_author_id") REFERENCES "actors"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "articles" ADD CONSTRAINT "FK_e174b487a957ffc10807b5642e6" FOREIGN KEY ("publication_id") REFERENCES "actors"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "article_changes" ADD CONSTRAINT "FK_889eaefc2ec550c5b4cc93068a9" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "feeds" ADD CONSTRAINT "FK_c8fce0520a6d6bd9efc8a632ecb" FOREIGN KEY ("owner_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "feed_items" ADD CONSTRAINT "FK_513c9c5a201fb8b163ec7ab1f35" FOREIGN KEY ("feed_id") REFERENCES "feeds"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "feed_items" DROP CONSTRAINT "FK_513c9c5a201fb8b163ec7ab1f35"',
    );
    await queryRunner.query('ALTER TABLE "feeds" DROP CONSTRAINT "FK_c8fce0520a6d6bd9efc8a632ecb"');
    await queryRunner.query(
      'ALTER TABLE "article_changes" DROP CONSTRAINT "FK_889eaefc2ec550c5b4cc93068a9"',
    );
    await queryRunner.query(
      'ALTER TABLE "articles" DROP CONSTRAINT "FK_e174b487a957ffc10807b5642e6"',
    );
    await queryRunner.query(
      'ALTER TABLE "articles" DROP CONSTRAINT "FK_b6a84f12b9cef5ab19a76619efa"',
    );
    await queryRunner.query('DROP TABLE "feed_items"');
    await queryRunner.query('DROP INDEX "public"."feeds_url_key"');
    await queryRunner.query('DROP INDEX "public"."feeds_due_idx"');
    await queryRunner.query('DROP INDEX "public"."feeds_websub_token_key"');
    await queryRunner.query('DROP TABLE "feeds"');
    await queryRunner.query('DROP INDEX "public"."ingest_log_event_effect_key"');
    await queryRunner.query('DROP INDEX "public"."ingest_log_event_idx"');
    await queryRunner.query('DROP INDEX "public"."ingest_log_article_idx"');
    await queryRunner.query('DROP INDEX "public"."ingest_log_received_idx"');
    await queryRunner.query('DROP TABLE "ingest_log"');
    await queryRunner.query('DROP INDEX "public"."article_changes_unenqueued_idx"');
    await queryRunner.query('DROP INDEX "public"."article_changes_article_idx"');
    await queryRunner.query('DROP TABLE "article_changes"');
    await queryRunner.query('DROP INDEX "public"."articles_platform_id_key"');
    await queryRunner.query('DROP INDEX "public"."articles_publication_idx"');
    await queryRunner.query('DROP INDEX "public"."articles_primary_author_idx"');
    await queryRunner.query('DROP TABLE "articles"');
  }
}
