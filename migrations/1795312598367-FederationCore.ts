import type { MigrationInterface, QueryRunner } from 'typeorm';

export class FederationCore1795312598367 implements MigrationInterface {
  name = 'FederationCore1795312598367';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "actors" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(16) NOT NULL, "platform_id" character varying(255) NOT NULL, "handle" character varying(64) NOT NULL, "platform_handle" character varying(255) NOT NULL, "name" text NOT NULL, "summary_html" text NOT NULL DEFAULT \'\', "avatar_url" text, "header_url" text, "profile_url" text, "profile_links" jsonb NOT NULL DEFAULT \'[]\', "also_known_as" jsonb NOT NULL DEFAULT \'[]\', "indexable" boolean NOT NULL DEFAULT false, "custom_domain" character varying(253), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "actors_custom_domain_check" CHECK (custom_domain IS NULL OR kind = \'publication\'), CONSTRAINT "actors_kind_check" CHECK (kind IN (\'author\', \'publication\', \'instance\')), CONSTRAINT "PK_d8608598c2c4f907a78de2ae461" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "actors_custom_domain_key" ON "actors"  ("custom_domain") ',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "actors_handle_key" ON "actors"  ("handle") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "actors_kind_platform_id_key" ON "actors"  ("kind", "platform_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "actor_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "actor_id" uuid NOT NULL, "algorithm" character varying(16) NOT NULL, "public_jwk" jsonb NOT NULL, "private_sealed" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "retired_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "actor_keys_algorithm_check" CHECK (algorithm IN (\'rsa\', \'ed25519\')), CONSTRAINT "PK_fee538015fb42f7dc6c61f8a671" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "actor_keys_current_key" ON "actor_keys"  ("actor_id", "algorithm") WHERE retired_at IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "publication_members" ("publication_id" uuid NOT NULL, "author_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f7ade14e6fbeaf5b353759edb10" PRIMARY KEY ("publication_id", "author_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "publication_members_author_idx" ON "publication_members"  ("author_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "followers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "actor_id" uuid NOT NULL, "follower_uri" text NOT NULL, "inbox_url" text NOT NULL, "shared_inbox_url" text, "host" character varying(255) NOT NULL, "follow_activity_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c90cfc5b18edd29bd15ba95c1a4" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "followers_follower_uri_idx" ON "followers"  ("follower_uri") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "followers_actor_follower_key" ON "followers"  ("actor_id", "follower_uri") ',
    );
    await queryRunner.query(
      'ALTER TABLE "actor_keys" ADD CONSTRAINT "FK_b9f0175bd40104da86ae953074b" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "publication_members" ADD CONSTRAINT "FK_3af2eba62a15f1b39cf0940b600" FOREIGN KEY ("publication_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "publication_members" ADD CONSTRAINT "FK_fc9ce82179d92415ab637eb9a5b" FOREIGN KEY ("author_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "followers" ADD CONSTRAINT "FK_9fdd31b6bbda9f26624b6476efd" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "followers" DROP CONSTRAINT "FK_9fdd31b6bbda9f26624b6476efd"',
    );
    await queryRunner.query(
      'ALTER TABLE "publication_members" DROP CONSTRAINT "FK_fc9ce82179d92415ab637eb9a5b"',
    );
    await queryRunner.query(
      'ALTER TABLE "publication_members" DROP CONSTRAINT "FK_3af2eba62a15f1b39cf0940b600"',
    );
    await queryRunner.query(
      'ALTER TABLE "actor_keys" DROP CONSTRAINT "FK_b9f0175bd40104da86ae953074b"',
    );
    await queryRunner.query('DROP INDEX "public"."followers_actor_follower_key"');
    await queryRunner.query('DROP INDEX "public"."followers_follower_uri_idx"');
    await queryRunner.query('DROP TABLE "followers"');
    await queryRunner.query('DROP INDEX "public"."publication_members_author_idx"');
    await queryRunner.query('DROP TABLE "publication_members"');
    await queryRunner.query('DROP INDEX "public"."actor_keys_current_key"');
    await queryRunner.query('DROP TABLE "actor_keys"');
    await queryRunner.query('DROP INDEX "public"."actors_kind_platform_id_key"');
    await queryRunner.query('DROP INDEX "public"."actors_handle_key"');
    await queryRunner.query('DROP INDEX "public"."actors_custom_domain_key"');
    await queryRunner.query('DROP TABLE "actors"');
  }
}
