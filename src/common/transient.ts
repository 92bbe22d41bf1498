/** Postgres SQLSTATE classes and codes that mean "try again later", not "this input is bad". */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57'];
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '58000', '58030']);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection is closed/i,
  /Client has encountered a connection error/i,
  /Connection terminated unexpectedly/i,
  /the database system is (starting up|shutting down)/i,
  /MaxRetriesPerRequestError|Reached the max retries per request/i,
  /getaddrinfo/i,
];

/**
 * Whether an error is an outage worth retrying (database or Redis unreachable, restarting,
 * overloaded; serialization failures and deadlocks) rather than a bug or a bad input. Looks
 * through TypeORM's `driverError` and `cause` chains.
 */
export function isTransientError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const { code, message, driverError, cause } = current as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string') {
      if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) {
        return true;
      }
    }
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message))) {
      return true;
    }
    current = driverError ?? cause;
  }
  return false;
}
