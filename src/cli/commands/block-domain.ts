import { CliError, type Command, stringOption, UsageError } from './command.js';
import { withContext } from './with-context.js';

/** A host name as blocks take it (moderation.controller.ts applies the same rule). */
function domainOf(raw: string | undefined): string {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || value.length > 253 || !/^[a-z0-9.-]+$/.test(value)) {
    throw new UsageError(
      `a domain is a host name, without scheme or port (mastodon.example), got "${raw ?? ''}"`,
    );
  }
  return value;
}

/** `fedi-bridge block-domain`. */
export const blockDomainCommand: Command = {
  name: 'block-domain',
  summary: 'block a domain (and its subdomains)',
  help: `Usage: fedi-bridge block-domain <domain> [--reason <text>]

Blocks a domain and its subdomains, as PUT /api/v1/blocks does: from then on (within 5 s) their
replies, edits, likes, boosts and follows are refused; their comments already stored are
rejected, and their follows of our actors dropped, so nothing is delivered there any more.
Blocking again updates the reason. Lift it with unblock-domain.

Options:
  --reason <text>   why, kept with the block (GET /api/v1/blocks shows it)

Examples:
  fedi-bridge block-domain spam.example --reason "spam wave, 2026-11"`,
  options: { reason: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const domain = domainOf(input.positionals[0]);
    const reason = stringOption(input, 'reason')?.trim() ?? null;
    const { ModerationRepository } = await import('../../comments/moderation.repository.js');
    const hidden = await withContext(input, (context) =>
      context.get(ModerationRepository).block('domain', domain, reason === '' ? null : reason),
    );
    input.io.out(`blocked ${domain}; ${hidden} stored comment(s) rejected`);
  },
};

/** `fedi-bridge unblock-domain`. */
export const unblockDomainCommand: Command = {
  name: 'unblock-domain',
  summary: 'lift a domain block',
  help: `Usage: fedi-bridge unblock-domain <domain>

Lifts a domain block, as DELETE /api/v1/blocks does. Comments rejected and follows dropped by
the block stay as they are. Fails (exit 1) when the domain is not blocked.

Examples:
  fedi-bridge unblock-domain spam.example`,
  options: {},
  positionals: { min: 1, max: 1 },
  async run(input) {
    const domain = domainOf(input.positionals[0]);
    const { ModerationRepository } = await import('../../comments/moderation.repository.js');
    const lifted = await withContext(input, (context) =>
      context.get(ModerationRepository).unblock('domain', domain),
    );
    if (!lifted) throw new CliError(`${domain} is not blocked`);
    input.io.out(`unblocked ${domain}`);
  },
};
