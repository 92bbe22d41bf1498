import { readFileSync } from 'node:fs';

/** The service's name and version, from package.json (read once). */
export const PACKAGE = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { readonly name: string; readonly version: string; readonly homepage?: string };
