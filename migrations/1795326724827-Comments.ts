import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Comments1795326724827 implements MigrationInterface {
  name = 'Comments1795326724827';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "comments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "ap_id" text NOT NULL, "url" text, "article_id" uuid NOT NULL, "parent_id" uuid, "depth" integer NOT NULL DEFAULT \'0\', "author_actor_id" text NOT NULL, "author_handle" text NOT NULL, "author_name" text, "author_avatar_url" text, "author_profile_url" text, "author_host" character varying(255) NOT NULL, "content_html" text NOT NULL, "content_text" text NOT NULL, "language" character varying(35), "summary" text, "sensitive" boolean NOT NULL DEFAULT false, "attachments" jsonb NOT NULL DEFAULT \'[]\', "visibility" character varying(16) NOT NULL, "status" character varying(16) NOT NULL DEFAULT \'approved\', "published_at" TIMESTAMP WITH TIME ZONE NOT NULL, "edited_at" TIMESTAMP WITH TIME ZONE, "removed_at" TIMESTAMP WITH TIME ZONE, "removal_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_19b99f21a0f8302f2265ed078e9" UNIQUE ("ap_id"), CONSTRAINT "PK_8bf68bc960f2b69e818bdb90dcb" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "comments_author_idx" ON "comments"  ("author_actor_id") ',
    );
    await queryRunner.query('CREATE INDEX "comments_parent_idx" ON "comments"  ("parent_id") ');
    await queryRunner.query(
      'CREATE INDEX "comments_article_idx" ON "comments"  ("article_id", "published_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "comment_edits" ("id" BIGSERIAL NOT NULL, "comment_id" uuid NOT NULL, "content_html" text NOT NULL, "summary" text, "sensitive" boolean NOT NULL DEFAULT false, "version_at" TIMESTAMP WITH TIME ZONE NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_880623d6a48f949ad7bb15d6a02" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "comment_edits_comment_idx" ON "comment_edits"  ("comment_id", "recorded_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "comment_tombstones" ("ap_id" text NOT NULL, "actor_id" text NOT NULL, "deleted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d46abd4ece59e9a0ea7446d6027" PRIMARY KEY ("ap_id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "article_interactions" ("id" BIGSERIAL NOT NULL, "article_id" uuid NOT NULL, "type" character varying(16) NOT NULL, "actor_id" text NOT NULL, "activity_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c6416cc3d6e18b10e8ffb105ab1" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "article_interactions_actor_idx" ON "article_interactions"  ("actor_id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "article_interactions_actor_key" ON "article_interactions"  ("article_id", "type", "actor_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "moderation_reports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "ap_id" text NOT NULL, "reporter_actor_id" text NOT NULL, "reporter_host" character varying(255) NOT NULL, "content" text, "targets" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT \'open\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_0ccf4e75dd5d4a86beeb861a60e" UNIQUE ("ap_id"), CONSTRAINT "PK_a40784ec3803830fe974b4b85fb" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "moderation_reports_created_idx" ON "moderation_reports"  ("created_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "moderation_policies" ("publication_id" uuid NOT NULL, "mode" character varying(16) NOT NULL DEFAULT \'auto\', "keywords" text array NOT NULL DEFAULT \'{}\', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0663f1f6228eee05ec065e2a2d1" PRIMARY KEY ("publication_id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "moderation_blocks" ("key" text NOT NULL, "kind" character varying(8) NOT NULL, "value" text NOT NULL, "reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b3ff4f615ae39693bbcbdcca346" PRIMARY KEY ("key"))',
    );
    await queryRunner.query(
      'ALTER TABLE "comments" ADD CONSTRAINT "FK_e9b498cca509147e73808f9e593" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "comments" ADD CONSTRAINT "FK_d6f93329801a93536da4241e386" FOREIGN KEY ("parent_id") REFERENCES "comments"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "comment_edits" ADD CONSTRAINT "FK_5f4ca90310019c6c6602f07a362" FOREIGN KEY ("comment_id") REFERENCES "comments"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "article_interactions" ADD CONSTRAINT "FK_bd3d2e9b9a06c22091686b30996" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "moderation_policies" ADD CONSTRAINT "FK_0663f1f6228eee05ec065e2a2d1" FOREIGN KEY ("publication_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "moderation_policies" DROP CONSTRAINT "FK_0663f1f6228eee05ec065e2a2d1"',
    );
    await queryRunner.query(
      'ALTER TABLE "article_interactions" DROP CONSTRAINT "FK_bd3d2e9b9a06c22091686b30996"',
    );
    await queryRunner.query(
      'ALTER TABLE "comment_edits" DROP CONSTRAINT "FK_5f4ca90310019c6c6602f07a362"',
    );
    await queryRunner.query(
      'ALTER TABLE "comments" DROP CONSTRAINT "FK_d6f93329801a93536da4241e386"',
    );
    await queryRunner.query(
      'ALTER TABLE "comments" DROP CONSTRAINT "FK_e9b498cca509147e73808f9e593"',
    );
    await queryRunner.query('DROP TABLE "moderation_blocks"');
    await queryRunner.query('DROP TABLE "moderation_policies"');
    await queryRunner.query('DROP INDEX "public"."moderation_reports_created_idx"');
    await queryRunner.query('DROP TABLE "moderation_reports"');
    await queryRunner.query('DROP INDEX "public"."article_interactions_actor_key"');
    await queryRunner.query('DROP INDEX "public"."article_interactions_actor_idx"');
    await queryRunner.query('DROP TABLE "article_interactions"');
    await queryRunner.query('DROP TABLE "comment_tombstones"');
    await queryRunner.query('DROP INDEX "public"."comment_edits_comment_idx"');
    await queryRunner.query('DROP TABLE "comment_edits"');
    await queryRunner.query('DROP INDEX "public"."comments_article_idx"');
    await queryRunner.query('DROP INDEX "public"."comments_parent_idx"');
    await queryRunner.query('DROP INDEX "public"."comments_author_idx"');
    await queryRunner.query('DROP TABLE "comments"');
  }
}
