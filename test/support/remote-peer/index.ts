/**
 * An independent, Mastodon-like ActivityPub server for end-to-end tests (no Fedify, no
 * ActivityPub library: node:http, node:crypto and fetch only), plus its signature helpers.
 */
export {
  type AcceptedDelivery,
  type FetchedDocument,
  type InboxDelivery,
  type RecordedRequest,
  RemotePeer,
  type RemotePeerOptions,
  type SentRecord,
  type WebfingerResult,
} from './remote-peer.js';
export { type SignedRequestOptions, type SigningIdentity } from './client.js';
export {
  type ComponentSpec,
  type Rfc9421SignInput,
  type Rfc9421Signature,
  signRfc9421,
} from './rfc9421.js';
export { MASTODON_GET_HEADERS, MASTODON_POST_HEADERS, signCavage } from './cavage.js';
export { type SignatureAlgorithm } from './algorithms.js';
export { type JsonObject, ed25519Multibase } from './keys.js';
export { type NoteOptions } from './activities.js';
export { type Verdict } from './verdict.js';
