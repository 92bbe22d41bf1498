import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Ingestion1795314056959 implements MigrationInterface {
  name = 'Ingestion1795314056959';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "articles" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "platform_id" text NOT NULL, "canonical_url" text NOT NULL, "title" text NOT NULL, "subtitle" text, "content_html" text NOT NULL, "excerpt" text, "language" character varying(35), "tags" jsonb NOT NULL DEFAULT \'[]\'::jsonb, "cover_image" jsonb, "visibility" character varying(16) NOT NULL, "content_warning" text, "comments_enabled" boolean NOT NULL DEFAULT true, "primary_author_id" uuid NOT NULL, "author_ids" jsonb NOT NULL, "publication_id" uuid, "content_hash" character varying(64) NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE NOT NULL, "source_updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted_at" TIMESTAMP WITH TIME ZONE, "last_event_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "modified_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0a6e2c450d83e0b6052c2793334" PRIMARY KEY ("id"))',
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
      'ALTER TABLE "articles" ADD CONSTRAINT "FK_b6a84f12b9cef5ab19a76619efa" FOREIGN KEY ("primary_author_id") REFERENCES "actors"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "articles" ADD CONSTRAINT "FK_e174b487a957ffc10807b5642e6" FOREIGN KEY ("publication_id") REFERENCES "actors"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "article_changes" ADD CONSTRAINT "FK_889eaefc2ec550c5b4cc93068a9" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "article_changes" DROP CONSTRAINT "FK_889eaefc2ec550c5b4cc93068a9"',
    );
    await queryRunner.query(
      'ALTER TABLE "articles" DROP CONSTRAINT "FK_e174b487a957ffc10807b5642e6"',
    );
    await queryRunner.query(
      'ALTER TABLE "articles" DROP CONSTRAINT "FK_b6a84f12b9cef5ab19a76619efa"',
    );
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
