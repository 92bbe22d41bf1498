import type { Federation, NodeInfo } from '@fedify/fedify';
import { PACKAGE } from '../version.js';

/** Usage numbers NodeInfo reports; real counts come from the actor and article stores. */
export interface NodeInfoUsage {
  readonly users: { total: number; activeMonth: number; activeHalfyear: number };
  readonly localPosts: number;
  readonly localComments: number;
}

/** Serves NodeInfo 2.1 at `/nodeinfo/2.1`; Fedify links it from `/.well-known/nodeinfo`. */
export function registerNodeInfo(
  federation: Federation<void>,
  usage: () => Promise<NodeInfoUsage>,
): void {
  federation.setNodeInfoDispatcher('/nodeinfo/2.1', async (): Promise<NodeInfo> => ({
    software: {
      name: PACKAGE.name,
      version: PACKAGE.version,
    },
    protocols: ['activitypub'],
    services: { inbound: [], outbound: [] },
    openRegistrations: false,
    usage: await usage(),
    metadata: {},
  }));
}
