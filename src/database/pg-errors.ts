/**
 * The name of the unique constraint a Postgres error violated (SQLSTATE 23505), looking through
 * TypeORM's `driverError`; null for any other error.
 */
export function violatedUniqueConstraint(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && typeof current === 'object' && current !== null; depth++) {
    const { code, constraint, driverError } = current as {
      code?: unknown;
      constraint?: unknown;
      driverError?: unknown;
    };
    if (code === '23505' && typeof constraint === 'string') return constraint;
    current = driverError;
  }
  return null;
}
