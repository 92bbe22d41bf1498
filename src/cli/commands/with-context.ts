import type { CliContext } from './context.js';
import type { CommandInput } from './command.js';

/**
 * Boots the service's modules for a command, runs it, and closes everything after. Nest and the
 * modules load here, on first use: `--help` and `create-token` stay quick.
 */
export async function withContext<T>(
  input: CommandInput,
  use: (context: CliContext) => Promise<T>,
): Promise<T> {
  const { openContext } = await import('./context.js');
  const context = await openContext(input.config, input.io);
  let result: T;
  try {
    result = await use(context);
  } catch (error) {
    // The command's own error is what the operator needs; a failure to close comes second.
    await context.close().catch((closing: unknown) => {
      input.io.err(`also, closing failed: ${String(closing)}`);
    });
    throw error;
  }
  await context.close();
  return result;
}
