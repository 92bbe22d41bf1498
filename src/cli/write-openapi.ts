/**
 * Writes the OpenAPI document of `/api/v1` to openapi.json at the repository root, generated
 * without databases (run after changing an endpoint; a spec fails while the file and the code
 * disagree): `npm run openapi:write`.
 */
import { writeFile } from 'node:fs/promises';
import type { OpenAPIObject } from '@nestjs/swagger';
import { format, resolveConfig } from 'prettier';
import { generateOpenApiDocument } from '../openapi/generate.js';

/** The committed document, relative to the repository root. */
export const OPENAPI_FILE = 'openapi.json';

const fileUrl = new URL(`../../../${OPENAPI_FILE}`, import.meta.url);

/**
 * The file's text: the document (keys in canonical order) as two-space JSON with a trailing
 * newline, formatted as `prettier --write` leaves it, so the format check agrees with the file.
 */
export async function openApiFileText(document: OpenAPIObject): Promise<string> {
  const options = (await resolveConfig(fileUrl)) ?? {};
  return format(JSON.stringify(document, null, 2), { ...options, parser: 'json' });
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const document = await generateOpenApiDocument();
  await writeFile(fileUrl, await openApiFileText(document));
  const operations = Object.values(document.paths).flatMap((item) => Object.keys(item)).length;
  console.log(`wrote ${OPENAPI_FILE}: ${operations} operations`);
}
