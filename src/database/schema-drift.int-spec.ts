import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { testDatabaseUrl } from '../../test/support/database.js';
import { ENTITIES } from './data-source.js';
import { schemaDrift } from './schema-drift.js';

@Entity({ name: 'drift_probe' })
class DriftProbe {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'int' })
  n: number;
}

describe('migrations', () => {
  it('agree with the entities: a migrated database needs no further change', async () => {
    const drift = await schemaDrift(testDatabaseUrl());
    assert.deepEqual(drift.up, [], `a migration is missing:\n${drift.up.join('\n')}`);
  });

  it('the check fails when an entity has no migration', async () => {
    const drift = await schemaDrift(testDatabaseUrl(), [...ENTITIES, DriftProbe]);
    assert.equal(drift.up.length, 1);
    assert.match(drift.up[0] ?? '', /CREATE TABLE "drift_probe"/);
  });
});
