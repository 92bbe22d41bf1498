/**
 * Fedify 2.3.6 reads the global `navigator` while processing queued outbox messages; Node 21+
 * defines it, Node 20 does not. Imported for its side effect before Fedify runs.
 */
const g = globalThis as { navigator?: { userAgent: string } };
g.navigator ??= { userAgent: `Node.js/${process.versions.node}` };

export {};
