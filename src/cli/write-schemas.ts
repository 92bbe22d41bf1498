/**
 * Writes the JSON Schemas of the public contracts to schemas/ (run after changing one; a spec
 * fails while the files and the code disagree): `npm run schemas:write`.
 */
import { writeFile } from 'node:fs/promises';
import { ARTICLE_EVENT_SCHEMA } from '../ingestion/article-event.schema.js';
import { ARTICLE_SCHEMA } from '../publishing/article.schema.js';

/** File name (under schemas/) → schema. */
export const PUBLIC_SCHEMAS: Readonly<Record<string, object>> = {
  'article-event.v1.json': ARTICLE_EVENT_SCHEMA,
  'article.v1.json': ARTICLE_SCHEMA,
};

/** The file's text: the schema with the draft it is written in, two-space JSON. */
export function schemaFileText(schema: object): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const root = new URL('../../../schemas/', import.meta.url);
  for (const [name, schema] of Object.entries(PUBLIC_SCHEMAS)) {
    await writeFile(new URL(name, root), schemaFileText(schema));
    console.log(`wrote schemas/${name}`);
  }
}
