import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795308590462 implements MigrationInterface {
  name = 'Initial1795308590462';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "fedify_kv" ("key" text array NOT NULL, "value" jsonb NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_12cf1b9e1583b0859dfc98f3bb3" PRIMARY KEY ("key"))',
    );
    await queryRunner.query(
      'CREATE INDEX "fedify_kv_expires_at_idx" ON "fedify_kv"  ("expires_at") WHERE expires_at IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."fedify_kv_expires_at_idx"');
    await queryRunner.query('DROP TABLE "fedify_kv"');
  }
}
