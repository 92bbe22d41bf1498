import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Actor } from './actor.js';
import { attributionDomains, attributionDomainsOf } from './attribution-domains.js';

const actor = (kind: Actor['kind'], fields: Partial<Actor> = {}): Actor => ({
  id: `id-${kind}`,
  kind,
  platformId: `p-${kind}`,
  handle: kind,
  platformHandle: kind,
  name: kind,
  summaryHtml: '',
  avatarUrl: null,
  headerUrl: null,
  profileUrl: null,
  profileLinks: [],
  alsoKnownAs: [],
  indexable: true,
  customDomain: null,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
  ...fields,
});

describe('attributionDomainsOf', () => {
  it('is empty without a profile URL or custom domain', () => {
    assert.deepEqual(attributionDomainsOf(actor('author'), []), []);
  });

  it('takes host names only: lower case, no port, no path', () => {
    const ada = actor('author', { profileUrl: 'https://Medium.Example:8443/@ada?tab=1' });
    assert.deepEqual(attributionDomainsOf(ada, []), ['medium.example']);
  });

  it("adds the publications' custom domains and URL hosts, each domain once", () => {
    const ada = actor('author', { profileUrl: 'https://medium.example/@ada' });
    const engines = actor('publication', {
      customDomain: 'engines.example',
      profileUrl: 'https://medium.example/engines',
    });
    const looms = actor('publication', { profileUrl: 'https://looms.example/' });
    assert.deepEqual(attributionDomainsOf(ada, [engines, looms]), [
      'medium.example',
      'engines.example',
      'looms.example',
    ]);
  });

  it('skips a profile URL it cannot read', () => {
    assert.deepEqual(attributionDomainsOf(actor('author', { profileUrl: 'not a url' }), []), []);
  });
});

describe('attributionDomains', () => {
  it("looks up an author's publications, and nothing for a publication", async () => {
    const asked: string[] = [];
    const lookup = {
      publicationsOf: (id: string) => {
        asked.push(id);
        return Promise.resolve([actor('publication', { customDomain: 'engines.example' })]);
      },
    };
    assert.deepEqual(await attributionDomains(lookup, actor('author')), ['engines.example']);
    const publication = actor('publication', { profileUrl: 'https://medium.example/engines' });
    assert.deepEqual(await attributionDomains(lookup, publication), ['medium.example']);
    assert.deepEqual(asked, ['id-author']);
  });
});
