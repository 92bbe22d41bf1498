import { mintToken } from '../../auth/mint-token.js';
import { ALL_SCOPES, isScope, type Scope } from '../../auth/scopes.js';
import { CliError, type Command, stringOption, UsageError } from './command.js';

const DEFAULT_TTL = '30d';

/** `fedi-bridge create-token`: an HS256 API token signed with `API_JWT_SECRET`. */
export const createTokenCommand: Command = {
  name: 'create-token',
  summary: 'print an API token (JWT) with the given scopes',
  help: `Usage: fedi-bridge create-token --scopes <scope,…> [--sub <name>] [--ttl <span>]

Prints a bearer token for /api/v1 on stdout: a JWT signed (HS256) with API_JWT_SECRET, carrying
the scopes in its "scope" claim. Needs no database.

Options:
  --scopes <list>   comma-separated: ${ALL_SCOPES.join(', ')} (admin grants every scope)
  --sub <name>      the token's subject: who or what it is for (a platform service, a person)
  --ttl <span>      lifetime: a number and a unit, s m h d w y (default ${DEFAULT_TTL}), or seconds

Examples:
  fedi-bridge create-token --scopes ingest --sub platform-ingest --ttl 90d
  TOKEN=$(fedi-bridge create-token --scopes comments:read,comments:write --ttl 12h)
  curl -H "Authorization: Bearer $TOKEN" https://bridge.example/api/v1/comments/pending`,
  options: {
    scopes: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(input) {
    const scopes = parseScopes(stringOption(input, 'scopes'));
    const ttl = parseTtl(stringOption(input, 'ttl') ?? DEFAULT_TTL);
    const subject = stringOption(input, 'sub');
    if (subject?.trim() === '') throw new UsageError('--sub must not be empty');
    const secret = input.config.apiJwtSecret;
    if (secret === undefined) {
      throw new CliError(
        'API_JWT_SECRET is not set: set it to the HS256 secret the bridge verifies tokens with ' +
          '(at least 32 characters, the same value the service runs with). Tokens for a bridge ' +
          'that only uses API_JWKS_URL come from your identity provider.',
      );
    }
    const token = await mintToken({
      secret,
      scopes,
      expiresIn: ttl.value,
      ...(subject === undefined ? {} : { subject }),
    });
    const expires = new Date(Date.now() + ttl.seconds * 1000).toISOString();
    input.io.out(token);
    input.io.err(
      `token for ${subject ?? '(no subject)'} with scope "${scopes.join(' ')}", expires ${expires}`,
    );
  },
};

function parseScopes(raw: string | undefined): Scope[] {
  if (raw === undefined) throw new UsageError('--scopes is required');
  const names = raw
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new UsageError('--scopes needs at least one scope');
  const unknown = names.filter((n) => !isScope(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown scope(s): ${unknown.join(', ')}; valid scopes are ${ALL_SCOPES.join(', ')}`,
    );
  }
  return [...new Set(names as Scope[])];
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_557_600,
};

/** `30d`, `12h`, `90m` or plain seconds; jose reads the same spans. */
function parseTtl(raw: string): { value: string | number; seconds: number } {
  const match = /^([1-9]\d{0,8})([smhdwy]?)$/.exec(raw.trim());
  const count = Number(match?.[1]);
  const unit = match?.[2] ?? '';
  if (match === null || !Number.isSafeInteger(count)) {
    throw new UsageError(`--ttl must be a number with a unit (s, m, h, d, w, y), got "${raw}"`);
  }
  const seconds = count * (UNIT_SECONDS[unit === '' ? 's' : unit] ?? 1);
  return { value: unit === '' ? seconds : `${count}${unit}`, seconds };
}
