import type { JSONSchemaType } from 'ajv';
import type { AuthorProfile, ProfileLink, PublicationProfile } from './actor.js';

const httpUrl = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 } as const;
const nullableUrl = { ...httpUrl, nullable: true } as const;

const link: JSONSchemaType<ProfileLink> = {
  type: 'object',
  required: ['name', 'url'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    url: httpUrl,
  },
};

/** Body of `PUT /api/v1/authors/{platformId}`. */
export const authorProfileSchema: JSONSchemaType<AuthorProfile> = {
  type: 'object',
  required: ['username', 'displayName'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 255 },
    displayName: { type: 'string', maxLength: 255 },
    bio: { type: 'string', maxLength: 10_000, nullable: true },
    avatarUrl: nullableUrl,
    headerUrl: nullableUrl,
    profileUrl: nullableUrl,
    links: { type: 'array', items: link, maxItems: 16, nullable: true },
    alsoKnownAs: { type: 'array', items: httpUrl, maxItems: 16, nullable: true },
    indexable: { type: 'boolean', nullable: true },
  },
};

/** Body of `PUT /api/v1/publications/{platformId}`. */
export const publicationProfileSchema: JSONSchemaType<PublicationProfile> = {
  type: 'object',
  required: ['slug', 'name'],
  additionalProperties: false,
  properties: {
    slug: { type: 'string', minLength: 1, maxLength: 255 },
    name: { type: 'string', maxLength: 255 },
    description: { type: 'string', maxLength: 10_000, nullable: true },
    avatarUrl: nullableUrl,
    headerUrl: nullableUrl,
    url: nullableUrl,
    customDomain: {
      type: 'string',
      format: 'hostname',
      pattern: '\\.',
      maxLength: 253,
      nullable: true,
    },
    alsoKnownAs: { type: 'array', items: httpUrl, maxItems: 16, nullable: true },
    members: {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 255 },
      maxItems: 1000,
      nullable: true,
    },
  },
};
