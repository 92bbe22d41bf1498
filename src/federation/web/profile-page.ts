import type { Actor } from '../../actors/actor.js';
import { escapeHtml } from '../../common/html.js';

/** What the profile page shows. */
export interface ProfilePageModel {
  readonly actor: Actor;
  /** `@handle@host`. */
  readonly acct: string;
  readonly actorUri: string;
  readonly formAction: string;
  /** Shown above the form after a failed lookup. */
  readonly error?: string;
  readonly typed?: string;
}

/**
 * A small HTML page for an author or publication with a "Follow from your server" form. Everything
 * interpolated is escaped; the bio is already sanitized HTML.
 */
export function renderProfilePage(model: ProfilePageModel): string {
  const { actor } = model;
  const avatar =
    actor.avatarUrl === null
      ? ''
      : `<img class="avatar" src="${escapeHtml(actor.avatarUrl)}" alt="" width="96" height="96">`;
  const error =
    model.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(model.error)}</p>`;
  const profile =
    actor.profileUrl === null
      ? ''
      : `<p><a href="${escapeHtml(actor.profileUrl)}">Read on the website</a></p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(actor.name)} (${escapeHtml(model.acct)})</title>
<link rel="alternate" type="application/activity+json" href="${escapeHtml(model.actorUri)}">
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
.avatar{border-radius:50%}.acct{color:#555;font-family:monospace}.error{color:#a00}
input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}button{font:inherit;margin-top:.5rem;padding:.4rem 1rem}
</style>
</head>
<body>
${avatar}
<h1>${escapeHtml(actor.name)}</h1>
<p class="acct">${escapeHtml(model.acct)}</p>
<div class="bio">${actor.summaryHtml}</div>
${profile}
<h2>Follow from your server</h2>
${error}
<form method="get" action="${escapeHtml(model.formAction)}">
<label for="server">Your server or handle</label>
<input id="server" name="server" placeholder="mastodon.social or @you@mastodon.social" value="${escapeHtml(model.typed ?? '')}" required autocomplete="off">
<button type="submit">Follow</button>
</form>
<p>Or search for <span class="acct">${escapeHtml(model.acct)}</span> in your fediverse app.</p>
</body>
</html>
`;
}
