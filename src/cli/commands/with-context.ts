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
  try {
    return await use(context);
  } finally {
    await context.close();
  }
}
