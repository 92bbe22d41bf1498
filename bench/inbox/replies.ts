// The load: Create(Note) replies to one story, shaped as Mastodon sends them
// (test/support/remote-peer/activities.ts `noteDocuments`) and signed draft-cavage with a SHA-256
// Digest by an implementation that is not Fedify's (`buildSignedRequest`), all before the timed
// phase so that signing does not take the bridge's CPU while it is measured.
import { noteDocuments } from '../../test/support/remote-peer/activities.js';
import { buildSignedRequest } from '../../test/support/remote-peer/client.js';
import type { RemoteActor } from './remote-server.js';

/** One reply, ready to POST. */
export interface SignedReply {
  /** The Note's id: the comment's `ap_id` once stored. */
  readonly noteId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface ReplyBatch {
  /** The inbox the requests are signed for (its host and path are in the signature). */
  readonly inbox: string;
  /** The story's id, the replies' `inReplyTo`. */
  readonly storyUri: string;
  /** Whom every reply mentions (the story's author), as Mastodon tags a reply to a post. */
  readonly mention: { readonly href: string; readonly name: string };
  readonly actors: readonly RemoteActor[];
  /** Status numbers `first` … `first + count − 1`, so every note id is distinct. */
  readonly first: number;
  readonly count: number;
}

/** ~300 characters of reply text: a mention, two sentences and a link, as Mastodon writes it. */
export function replyHtml(n: number, mention: { href: string; name: string }): string {
  const user = mention.name.replace(/^@/, '').split('@')[0] ?? 'author';
  return (
    `<p><span class="h-card" translate="no"><a href="${mention.href}" class="u-url mention">` +
    `@<span>${user}</span></a></span> Reply ${n}: the part about the engine weaving algebraic ` +
    `patterns stayed with me. Lovelace saw that it could act on things other than number, and ` +
    `nobody listened for a century. I wrote more about it here: ` +
    `<a href="https://notes.example/${n}" target="_blank" rel="nofollow noopener noreferrer">` +
    `<span class="invisible">https://</span><span class="">notes.example/${n}</span></a></p>`
  );
}

/** Signs `count` replies, round-robin over the actors; the Date header is now. */
export function signReplies(batch: ReplyBatch): SignedReply[] {
  const out: SignedReply[] = [];
  const { actors } = batch;
  if (actors.length === 0) throw new Error('no remote actors to sign with');
  for (let i = 0; i < batch.count; i++) {
    const n = batch.first + i;
    const actor = actors[n % actors.length];
    if (actor === undefined) throw new Error(`no actor for reply ${n}`);
    const { note, create } = noteDocuments(actor.identity, n, {
      content: replyHtml(n, batch.mention),
      inReplyTo: batch.storyUri,
      mentions: [batch.mention],
      language: 'en',
    });
    const signed = buildSignedRequest(actor.signer, 'POST', batch.inbox, JSON.stringify(create));
    const body = Buffer.from(signed.body);
    out.push({
      noteId: String(note.id),
      headers: { ...signed.headers, 'content-length': String(body.length) },
      body,
    });
  }
  return out;
}
