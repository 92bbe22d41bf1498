import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';

import {
  type CallbackQuery,
  type ExpectedIntent,
  INTENT_RESPONSE_HEADERS,
  MAX_CHALLENGE_LENGTH,
  WEBSUB_SIGNATURE_ALGORITHMS,
  buildSubscribeRequest,
  generateSecret,
  interpretHubResponse,
  renewAt,
  verifyIntent,
  verifySignature,
} from './websub.js';

const HUB = 'https://hub.example/';
const TOPIC = 'https://blog.example/feed.xml';
const CALLBACK = 'https://bridge.example/websub/callback/3f9c';
const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I';

describe('buildSubscribeRequest', () => {
  it('builds a form-encoded subscribe POST to the hub with every parameter', () => {
    const req = buildSubscribeRequest({
      hubUrl: HUB,
      topicUrl: TOPIC,
      callbackUrl: CALLBACK,
      secret: SECRET,
      leaseSeconds: 86400,
      mode: 'subscribe',
    });
    assert.equal(req.url, HUB);
    assert.deepEqual(req.headers, { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(
      [...new URLSearchParams(req.body)],
      [
        ['hub.mode', 'subscribe'],
        ['hub.topic', TOPIC],
        ['hub.callback', CALLBACK],
        ['hub.lease_seconds', '86400'],
        ['hub.secret', SECRET],
      ],
    );
    // Form encoding, not JSON or a query string with raw reserved characters.
    assert.match(
      req.body,
      /^hub\.mode=subscribe&hub\.topic=https%3A%2F%2Fblog\.example%2Ffeed\.xml&/,
    );
  });

  it('leaves hub.lease_seconds out when no lease is requested', () => {
    const req = buildSubscribeRequest({
      hubUrl: HUB,
      topicUrl: TOPIC,
      callbackUrl: CALLBACK,
      secret: SECRET,
      mode: 'subscribe',
    });
    const params = new URLSearchParams(req.body);
    assert.equal(params.has('hub.lease_seconds'), false);
    assert.equal(params.get('hub.secret'), SECRET);
  });

  it('sends neither hub.secret nor hub.lease_seconds when unsubscribing', () => {
    const req = buildSubscribeRequest({
      hubUrl: HUB,
      topicUrl: TOPIC,
      callbackUrl: CALLBACK,
      secret: SECRET,
      leaseSeconds: 3600,
      mode: 'unsubscribe',
    });
    assert.deepEqual(
      [...new URLSearchParams(req.body)],
      [
        ['hub.mode', 'unsubscribe'],
        ['hub.topic', TOPIC],
        ['hub.callback', CALLBACK],
      ],
    );
  });

  it('round-trips topics and callbacks with query strings and non-ASCII text', () => {
    const topicUrl = 'https://blog.example/feed?tag=café&x=1+2';
    const callbackUrl = 'https://bridge.example/cb?id=a&b=c d';
    const req = buildSubscribeRequest({
      hubUrl: HUB,
      topicUrl,
      callbackUrl,
      secret: SECRET,
      mode: 'subscribe',
    });
    const params = new URLSearchParams(req.body);
    assert.equal(params.get('hub.topic'), topicUrl);
    assert.equal(params.get('hub.callback'), callbackUrl);
  });

  const invalid: [string, Partial<Parameters<typeof buildSubscribeRequest>[0]>, RegExp][] = [
    ['a relative hub URL', { hubUrl: '/hub' }, /hubUrl is not a valid URL/],
    ['a non-http topic', { topicUrl: 'ftp://blog.example/feed' }, /topicUrl must be an http/],
    ['a callback that is no URL', { callbackUrl: 'not a url' }, /callbackUrl is not a valid URL/],
    ['an empty secret', { secret: '' }, /hub\.secret must be 1–199 bytes, got 0/],
    ['a 200-byte secret', { secret: 'x'.repeat(200) }, /got 200 bytes/],
    ['a zero lease', { leaseSeconds: 0 }, /positive integer/],
    ['a fractional lease', { leaseSeconds: 1.5 }, /positive integer/],
    ['a negative lease', { leaseSeconds: -10 }, /positive integer/],
  ];
  for (const [name, override, message] of invalid) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () =>
          buildSubscribeRequest({
            hubUrl: HUB,
            topicUrl: TOPIC,
            callbackUrl: CALLBACK,
            secret: SECRET,
            mode: 'subscribe',
            ...override,
          }),
        message,
      );
    });
  }

  it('accepts a 199-byte secret, and any secret when unsubscribing', () => {
    const base = { hubUrl: HUB, topicUrl: TOPIC, callbackUrl: CALLBACK } as const;
    assert.doesNotThrow(() =>
      buildSubscribeRequest({ ...base, secret: 'x'.repeat(199), mode: 'subscribe' }),
    );
    assert.doesNotThrow(() => buildSubscribeRequest({ ...base, secret: '', mode: 'unsubscribe' }));
  });
});

describe('interpretHubResponse', () => {
  for (const status of [202, 204, 200, 299]) {
    it(`${status} → accepted`, () => {
      assert.deepEqual(interpretHubResponse(status), { ok: true });
    });
  }

  const refused: [number, RegExp, boolean][] = [
    [400, /rejected the request \(400\)/, false],
    [403, /rejected the request \(403\)/, false],
    [404, /rejected the request \(404\)/, false],
    [408, /retry later \(408\)/, true],
    [429, /retry later \(429\)/, true],
    [500, /hub failed \(500\)/, true],
    [503, /hub failed \(503\)/, true],
    [307, /redirected \(307\)/, false],
    [308, /redirected \(308\)/, false],
    [301, /unexpected hub status 301/, false],
    [101, /unexpected hub status 101/, false],
    [0, /invalid HTTP status 0/, true],
    [1000, /invalid HTTP status 1000/, true],
    [202.5, /invalid HTTP status/, true],
  ];
  for (const [status, reason, retryable] of refused) {
    it(`${status} → refused${retryable ? ', retryable' : ''}`, () => {
      const verdict = interpretHubResponse(status);
      assert.equal(verdict.ok, false);
      assert.ok(!verdict.ok);
      assert.match(verdict.reason, reason);
      assert.equal(verdict.retryable, retryable);
    });
  }
});

describe('verifyIntent', () => {
  const subscribe: ExpectedIntent = { topicUrl: TOPIC, mode: 'subscribe' };
  const unsubscribe: ExpectedIntent = { topicUrl: TOPIC, mode: 'unsubscribe' };
  const good: CallbackQuery = {
    'hub.mode': 'subscribe',
    'hub.topic': TOPIC,
    'hub.challenge': 'a1B2-c3_d4.e5/f6+g7=',
    'hub.lease_seconds': '864000',
  };

  it('confirms a matching subscribe and returns the challenge and the granted lease', () => {
    assert.deepEqual(verifyIntent(good, subscribe), {
      ok: true,
      challenge: 'a1B2-c3_d4.e5/f6+g7=',
      leaseSeconds: 864000,
    });
  });

  it('confirms a matching unsubscribe, ignoring any lease', () => {
    assert.deepEqual(verifyIntent({ ...good, 'hub.mode': 'unsubscribe' }, unsubscribe), {
      ok: true,
      challenge: good['hub.challenge'],
      leaseSeconds: null,
    });
    assert.deepEqual(
      verifyIntent(
        { ...good, 'hub.mode': 'unsubscribe', 'hub.lease_seconds': 'junk' },
        unsubscribe,
      ),
      { ok: true, challenge: good['hub.challenge'], leaseSeconds: null },
    );
  });

  it('yields a null lease when the hub sends none', () => {
    assert.deepEqual(verifyIntent({ ...good, 'hub.lease_seconds': undefined }, subscribe), {
      ok: true,
      challenge: good['hub.challenge'],
      leaseSeconds: null,
    });
    assert.deepEqual(verifyIntent({ ...good, 'hub.lease_seconds': '' }, subscribe), {
      ok: true,
      challenge: good['hub.challenge'],
      leaseSeconds: null,
    });
  });

  it('compares the topic after trimming both sides', () => {
    const verdict = verifyIntent(
      { ...good, 'hub.topic': `  ${TOPIC}\n` },
      {
        topicUrl: ` ${TOPIC} `,
        mode: 'subscribe',
      },
    );
    assert.equal(verdict.ok, true);
  });

  it('accepts a challenge of exactly the maximum length', () => {
    const challenge = 'c'.repeat(MAX_CHALLENGE_LENGTH);
    assert.deepEqual(verifyIntent({ ...good, 'hub.challenge': challenge }, subscribe), {
      ok: true,
      challenge,
      leaseSeconds: 864000,
    });
  });

  it('accepts a repeated parameter whose values agree', () => {
    assert.equal(verifyIntent({ ...good, 'hub.topic': [TOPIC, TOPIC] }, subscribe).ok, true);
  });

  it('answers 404 for an unknown subscription, whatever the query', () => {
    assert.deepEqual(verifyIntent(good, null), {
      ok: false,
      status: 404,
      reason: 'unknown subscription',
      denied: false,
    });
    assert.equal(verifyIntent({}, null).ok, false);
  });

  const refused: [string, CallbackQuery, ExpectedIntent, 404 | 400, RegExp][] = [
    // mode mismatches: the subscriber does not agree → 404
    [
      'subscribe when an unsubscribe is pending',
      good,
      unsubscribe,
      404,
      /hub\.mode subscribe does not match the pending unsubscribe/,
    ],
    [
      'unsubscribe when a subscribe is pending',
      { ...good, 'hub.mode': 'unsubscribe' },
      subscribe,
      404,
      /hub\.mode unsubscribe does not match the pending subscribe/,
    ],
    ['an unknown mode', { ...good, 'hub.mode': 'publish' }, subscribe, 400, /unknown hub\.mode/],
    ['a mode in other case', { ...good, 'hub.mode': 'Subscribe' }, subscribe, 400, /unknown/],
    ['no mode', { ...good, 'hub.mode': undefined }, subscribe, 400, /missing hub\.mode/],
    ['an empty mode', { ...good, 'hub.mode': '' }, subscribe, 400, /missing hub\.mode/],
    [
      'conflicting modes',
      { ...good, 'hub.mode': ['subscribe', 'unsubscribe'] },
      subscribe,
      400,
      /conflicting hub\.mode/,
    ],
    // topic mismatches → 404
    [
      'another topic',
      { ...good, 'hub.topic': 'https://blog.example/other.xml' },
      subscribe,
      404,
      /does not match the pending topic/,
    ],
    [
      'a topic differing only in case',
      { ...good, 'hub.topic': TOPIC.toUpperCase() },
      subscribe,
      404,
      /does not match/,
    ],
    [
      'a topic with a trailing slash',
      { ...good, 'hub.topic': `${TOPIC}/` },
      subscribe,
      404,
      /does not match/,
    ],
    [
      'a topic prefix',
      { ...good, 'hub.topic': 'https://blog.example/feed' },
      subscribe,
      404,
      /does not match/,
    ],
    ['no topic', { ...good, 'hub.topic': undefined }, subscribe, 400, /missing hub\.topic/],
    ['a blank topic', { ...good, 'hub.topic': '   ' }, subscribe, 400, /missing hub\.topic/],
    [
      'conflicting topics',
      { ...good, 'hub.topic': [TOPIC, 'https://evil.example/'] },
      subscribe,
      400,
      /conflicting hub\.topic/,
    ],
    // challenge problems → 400
    ['no challenge', { ...good, 'hub.challenge': undefined }, subscribe, 400, /missing/],
    ['an empty challenge', { ...good, 'hub.challenge': '' }, subscribe, 400, /missing/],
    ['an empty challenge list', { ...good, 'hub.challenge': [] }, subscribe, 400, /missing/],
    [
      'a challenge one character too long',
      { ...good, 'hub.challenge': 'c'.repeat(MAX_CHALLENGE_LENGTH + 1) },
      subscribe,
      400,
      /longer than 1000/,
    ],
    [
      'a challenge with a NUL byte',
      { ...good, 'hub.challenge': 'abc\u0000def' },
      subscribe,
      400,
      /printable ASCII/,
    ],
    ['a challenge with a space', { ...good, 'hub.challenge': 'a b' }, subscribe, 400, /printable/],
    ['a non-ASCII challenge', { ...good, 'hub.challenge': 'défi' }, subscribe, 400, /printable/],
    [
      'conflicting challenges',
      { ...good, 'hub.challenge': ['one', 'two'] },
      subscribe,
      400,
      /conflicting hub\.challenge/,
    ],
    // lease problems (subscribe only) → 400
    ['a negative lease', { ...good, 'hub.lease_seconds': '-5' }, subscribe, 400, /lease_seconds/],
    ['a fractional lease', { ...good, 'hub.lease_seconds': '1.5' }, subscribe, 400, /lease/],
    ['a non-numeric lease', { ...good, 'hub.lease_seconds': 'ten' }, subscribe, 400, /lease/],
    [
      'conflicting leases',
      { ...good, 'hub.lease_seconds': ['60', '120'] },
      subscribe,
      400,
      /conflicting hub\.lease_seconds/,
    ],
  ];
  for (const [name, query, expected, status, reason] of refused) {
    it(`refuses ${name} with ${status}`, () => {
      const verdict = verifyIntent(query, expected);
      assert.equal(verdict.ok, false);
      assert.ok(!verdict.ok);
      assert.equal(verdict.status, status);
      assert.match(verdict.reason, reason);
      assert.equal(verdict.denied, false);
    });
  }

  it('reports a denial for the expected topic with the hub’s reason', () => {
    const verdict = verifyIntent(
      { 'hub.mode': 'denied', 'hub.topic': TOPIC, 'hub.reason': 'topic not allowed' },
      subscribe,
    );
    assert.deepEqual(verdict, {
      ok: false,
      status: 404,
      reason: 'hub denied the subscription: topic not allowed',
      denied: true,
    });
  });

  it('reports a denial without a reason, and whatever the pending mode', () => {
    const verdict = verifyIntent({ 'hub.mode': 'denied', 'hub.topic': TOPIC }, unsubscribe);
    assert.ok(!verdict.ok);
    assert.equal(verdict.denied, true);
    assert.match(verdict.reason, /no reason given/);
  });

  it('does not take a denial for another topic as ours', () => {
    const verdict = verifyIntent(
      { 'hub.mode': 'denied', 'hub.topic': 'https://blog.example/other.xml', 'hub.reason': 'x' },
      subscribe,
    );
    assert.ok(!verdict.ok);
    assert.equal(verdict.status, 404);
    assert.equal(verdict.denied, false);
    assert.match(verdict.reason, /denial for another topic/);
  });

  it('names safe response headers for the echoed challenge', () => {
    assert.equal(INTENT_RESPONSE_HEADERS['X-Content-Type-Options'], 'nosniff');
    assert.match(INTENT_RESPONSE_HEADERS['Content-Type'] ?? '', /^text\/plain/);
  });
});

describe('verifySignature', () => {
  const body = new TextEncoder().encode(
    '<rss version="2.0"><channel><title>Héllo</title></channel></rss>',
  );
  const sign = (algorithm: string, data: Uint8Array, secret = SECRET): string =>
    `${algorithm}=${createHmac(algorithm, secret).update(data).digest('hex')}`;

  it('matches published HMAC test vectors (key "key", the quick brown fox)', () => {
    const fox = Buffer.from('The quick brown fox jumps over the lazy dog');
    assert.deepEqual(verifySignature('sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9', fox, 'key'), {
      ok: true,
    });
    assert.deepEqual(
      verifySignature(
        'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
        fox,
        'key',
      ),
      { ok: true },
    );
  });

  for (const algorithm of WEBSUB_SIGNATURE_ALGORITHMS) {
    describe(algorithm, () => {
      it('accepts the right signature over the raw bytes', () => {
        assert.deepEqual(verifySignature(sign(algorithm, body), body, SECRET), { ok: true });
      });

      it('accepts an upper-case method and hex digest', () => {
        assert.deepEqual(verifySignature(sign(algorithm, body).toUpperCase(), body, SECRET), {
          ok: true,
        });
      });

      it('detects a tampered body', () => {
        const tampered = Uint8Array.from(body);
        tampered[10] = (tampered[10] ?? 0) ^ 0x01;
        assert.deepEqual(verifySignature(sign(algorithm, body), tampered, SECRET), {
          ok: false,
          reason: 'mismatch',
        });
      });

      it('detects a signature made with another secret', () => {
        assert.deepEqual(verifySignature(sign(algorithm, body, 'other'), body, SECRET), {
          ok: false,
          reason: 'mismatch',
        });
      });

      it('detects a digest of the wrong length as malformed', () => {
        assert.deepEqual(verifySignature(`${sign(algorithm, body)}00`, body, SECRET), {
          ok: false,
          reason: 'malformed',
        });
        assert.deepEqual(verifySignature(sign(algorithm, body).slice(0, -2), body, SECRET), {
          ok: false,
          reason: 'malformed',
        });
      });
    });
  }

  it('does not accept a digest of one algorithm under another name', () => {
    // sha256 and sha512 digests differ in length → malformed; same length never happens here.
    const sha512Digest = sign('sha512', body).split('=')[1] ?? '';
    assert.deepEqual(verifySignature(`sha256=${sha512Digest}`, body, SECRET), {
      ok: false,
      reason: 'malformed',
    });
  });

  it('signs over bytes, not text: a re-encoded body does not verify', () => {
    const latin1 = Buffer.from('<title>Héllo</title>', 'latin1');
    const utf8 = Buffer.from('<title>Héllo</title>', 'utf8');
    assert.deepEqual(verifySignature(sign('sha256', utf8), latin1, SECRET), {
      ok: false,
      reason: 'mismatch',
    });
  });

  const malformed: [string, string][] = [
    ['no "="', 'sha256'],
    ['no method', `=${'a'.repeat(64)}`],
    ['an empty digest', 'sha256='],
    ['a non-hex digest', `sha256=${'g'.repeat(64)}`],
    ['a digest with spaces inside', `sha256=${'a'.repeat(32)} ${'a'.repeat(31)}`],
    ['a base64 digest', `sha256=${Buffer.alloc(32, 7).toString('base64')}`],
    ['two joined headers', `sha256=${'a'.repeat(64)}, sha256=${'b'.repeat(64)}`],
    ['a method with odd characters', `sha 256=${'a'.repeat(64)}`],
  ];
  for (const [name, header] of malformed) {
    it(`calls ${name} malformed`, () => {
      assert.deepEqual(verifySignature(header, body, SECRET), { ok: false, reason: 'malformed' });
    });
  }

  for (const method of ['md5', 'sha224', 'sha3-256', 'sha-256']) {
    it(`calls ${method} an unsupported algorithm`, () => {
      const header = `${method}=${'a'.repeat(64)}`;
      assert.deepEqual(verifySignature(header, body, SECRET), {
        ok: false,
        reason: 'unsupported_algorithm',
      });
    });
  }

  for (const header of [undefined, '', '   ']) {
    it(`calls ${JSON.stringify(header)} missing`, () => {
      assert.deepEqual(verifySignature(header, body, SECRET), { ok: false, reason: 'missing' });
    });
  }

  it('tolerates whitespace around the header value', () => {
    assert.deepEqual(verifySignature(`  ${sign('sha256', body)} `, body, SECRET), { ok: true });
  });

  it('verifies an empty body', () => {
    const empty = new Uint8Array(0);
    assert.deepEqual(verifySignature(sign('sha1', empty), empty, SECRET), { ok: true });
  });
});

describe('renewAt', () => {
  const now = new Date('2030-01-01T00:00:00.000Z');
  const at = (seconds: number): string => new Date(now.getTime() + seconds * 1000).toISOString();

  const cases: [string, number, number][] = [
    ['10 days → after 8 days (80 %)', 864000, 691200],
    ['1 hour → after 48 minutes', 3600, 2880],
    ['5 minutes → after 4 minutes (80 % = lease − 60 s)', 300, 240],
    ['100 s → 60 s before expiry, after 40 s', 100, 40],
    ['61 s → after 1 s', 61, 1],
    ['60 s → at once', 60, 0],
    ['10 s → at once', 10, 0],
    ['0 s → at once', 0, 0],
    ['1001 s → after 800.8 s', 1001, 800.8],
  ];
  for (const [name, lease, after] of cases) {
    it(name, () => {
      assert.equal(renewAt(lease, now).toISOString(), at(after));
    });
  }

  it('always renews at least 60 s before the lease ends and never before now', () => {
    for (const lease of [0, 1, 59, 60, 61, 120, 299, 300, 301, 3600, 86400, 864000, 31536000]) {
      const renew = renewAt(lease, now).getTime();
      assert.ok(renew >= now.getTime(), `lease ${lease}`);
      if (lease > 60) assert.ok(renew <= now.getTime() + (lease - 60) * 1000, `lease ${lease}`);
      assert.ok(renew <= now.getTime() + lease * 800, `lease ${lease}`);
    }
  });

  it('does not modify now', () => {
    const before = now.toISOString();
    renewAt(3600, now);
    assert.equal(now.toISOString(), before);
  });

  for (const lease of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuses a lease of ${lease}`, () => {
      assert.throws(() => renewAt(lease, now), RangeError);
    });
  }

  it('refuses an invalid date', () => {
    assert.throws(() => renewAt(60, new Date('nope')), RangeError);
  });
});

describe('generateSecret', () => {
  it('is 32 random bytes in base64url', () => {
    const secret = generateSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
  });

  it('differs every time and fits hub.secret', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => generateSecret()));
    assert.equal(secrets.size, 100);
    const [one] = secrets;
    assert.ok(one !== undefined && Buffer.byteLength(one) < 200);
  });
});
