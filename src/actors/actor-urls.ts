/**
 * Where actors live. Every actor's id is on `PUBLIC_URL`'s host, built from its internal id, so it
 * survives username, slug and custom-domain changes: `{PUBLIC_URL}/actors/{id}`. Publications with
 * a custom domain keep their id here too; only WebFinger answers on the custom domain.
 */
export const ACTOR_PATH = '/actors/{identifier}';

/** The instance actor's identifier in {@link ACTOR_PATH}. */
export const INSTANCE_IDENTIFIER = 'instance';

/** The actor id (URL) of the actor with internal id `id`. */
export function actorUrl(publicUrl: URL, id: string): URL {
  return new URL(`/actors/${encodeURIComponent(id)}`, publicUrl);
}

/** The bridge's HTML page for an actor, with the remote-follow form. */
export function profilePageUrl(publicUrl: URL, handle: string): URL {
  return new URL(`/@${encodeURIComponent(handle)}`, publicUrl);
}
