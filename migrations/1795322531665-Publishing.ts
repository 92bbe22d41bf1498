import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Publishing1795322531665 implements MigrationInterface {
  name = 'Publishing1795322531665';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "outbound_activities" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "uri" text NOT NULL, "type" character varying(16) NOT NULL, "actor_id" uuid NOT NULL, "article_id" uuid, "object_uri" text NOT NULL, "body" jsonb NOT NULL, "recipients" integer NOT NULL DEFAULT \'0\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "enqueued_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_cec88ba6903ea8a9370d008c685" UNIQUE ("uri"), CONSTRAINT "PK_3308ff2fe9c6a0b8459f3a60af5" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "outbound_activities_unenqueued_idx" ON "outbound_activities"  ("created_at") WHERE enqueued_at IS NULL',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "outbound_activities_one_create_key" ON "outbound_activities"  ("article_id") WHERE type = \'Create\'',
    );
    await queryRunner.query(
      'CREATE INDEX "outbound_activities_article_idx" ON "outbound_activities"  ("article_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "outbound_activities_actor_idx" ON "outbound_activities"  ("actor_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "deliveries" ("id" BIGSERIAL NOT NULL, "activity_id" uuid NOT NULL, "inbox_url" text NOT NULL, "host" character varying(255) NOT NULL, "status" character varying(16) NOT NULL DEFAULT \'pending\', "attempts" integer NOT NULL DEFAULT \'0\', "last_status" integer, "last_error" text, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "delivered_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a6ef225c5c5f0974e503bfb731f" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "deliveries_pending_due_idx" ON "deliveries"  ("next_attempt_at") WHERE status = \'pending\'',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "deliveries_activity_inbox_key" ON "deliveries"  ("activity_id", "inbox_url") ',
    );
    await queryRunner.query(
      'CREATE TABLE "delivery_hosts" ("host" character varying(255) NOT NULL, "consecutive_failures" integer NOT NULL DEFAULT \'0\', "failing_since" TIMESTAMP WITH TIME ZONE, "open_until" TIMESTAMP WITH TIME ZONE, "probe_at" TIMESTAMP WITH TIME ZONE, "failure_days" date array NOT NULL DEFAULT \'{}\', "unavailable_since" TIMESTAMP WITH TIME ZONE, "last_success_at" TIMESTAMP WITH TIME ZONE, "last_failure_at" TIMESTAMP WITH TIME ZONE, "last_error" text, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5b67c3ba77a4ffa4a42af83fb46" PRIMARY KEY ("host"))',
    );
    await queryRunner.query(
      'CREATE TABLE "article_federation" ("article_id" uuid NOT NULL, "state" character varying(16) NOT NULL, "actor_id" uuid NOT NULL, "rendered_hash" character varying(64) NOT NULL, "create_activity_id" uuid NOT NULL, "last_activity_id" uuid NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4e2a708690836819c926a872844" PRIMARY KEY ("article_id"))',
    );
    await queryRunner.query('ALTER TABLE "articles" ADD "pinned_at" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query(
      'ALTER TABLE "outbound_activities" ADD CONSTRAINT "FK_554ac3417d62f2bec3eb7b86832" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "outbound_activities" ADD CONSTRAINT "FK_10088fafadedcde21c6bfba89b9" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "deliveries" ADD CONSTRAINT "FK_41c695b70325de0aa4d34d3e0e3" FOREIGN KEY ("activity_id") REFERENCES "outbound_activities"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "article_federation" ADD CONSTRAINT "FK_4e2a708690836819c926a872844" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "article_federation" DROP CONSTRAINT "FK_4e2a708690836819c926a872844"',
    );
    await queryRunner.query(
      'ALTER TABLE "deliveries" DROP CONSTRAINT "FK_41c695b70325de0aa4d34d3e0e3"',
    );
    await queryRunner.query(
      'ALTER TABLE "outbound_activities" DROP CONSTRAINT "FK_10088fafadedcde21c6bfba89b9"',
    );
    await queryRunner.query(
      'ALTER TABLE "outbound_activities" DROP CONSTRAINT "FK_554ac3417d62f2bec3eb7b86832"',
    );
    await queryRunner.query('ALTER TABLE "articles" DROP COLUMN "pinned_at"');
    await queryRunner.query('DROP TABLE "article_federation"');
    await queryRunner.query('DROP TABLE "delivery_hosts"');
    await queryRunner.query('DROP INDEX "public"."deliveries_activity_inbox_key"');
    await queryRunner.query('DROP INDEX "public"."deliveries_pending_due_idx"');
    await queryRunner.query('DROP TABLE "deliveries"');
    await queryRunner.query('DROP INDEX "public"."outbound_activities_actor_idx"');
    await queryRunner.query('DROP INDEX "public"."outbound_activities_article_idx"');
    await queryRunner.query('DROP INDEX "public"."outbound_activities_one_create_key"');
    await queryRunner.query('DROP INDEX "public"."outbound_activities_unenqueued_idx"');
    await queryRunner.query('DROP TABLE "outbound_activities"');
  }
}
