import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Feeds1795314366421 implements MigrationInterface {
  name = 'Feeds1795314366421';

  async up(queryRunner: QueryRunner): Promise<void> {
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
    await queryRunner.query('ALTER TABLE "articles" ALTER COLUMN "tags" SET DEFAULT \'[]\'::jsonb');
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
    await queryRunner.query('ALTER TABLE "articles" ALTER COLUMN "tags" SET DEFAULT \'[]\'');
    await queryRunner.query('DROP TABLE "feed_items"');
    await queryRunner.query('DROP INDEX "public"."feeds_url_key"');
    await queryRunner.query('DROP INDEX "public"."feeds_due_idx"');
    await queryRunner.query('DROP INDEX "public"."feeds_websub_token_key"');
    await queryRunner.query('DROP TABLE "feeds"');
  }
}
