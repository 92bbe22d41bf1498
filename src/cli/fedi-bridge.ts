#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { PACKAGE } from '../version.js';
import { addFeedCommand } from './commands/add-feed.js';
import { backfillCommand } from './commands/backfill.js';
import { blockDomainCommand, unblockDomainCommand } from './commands/block-domain.js';
import {
  CliError,
  type CliIo,
  type Command,
  describeError,
  ExitCode,
  UsageError,
} from './commands/command.js';
import { createTokenCommand } from './commands/create-token.js';
import { migrateCommand } from './commands/migrate.js';
import { redeliverCommand } from './commands/redeliver.js';
import { rotateKeysCommand } from './commands/rotate-keys.js';
import { statsCommand } from './commands/stats.js';

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly Command[] = [
  migrateCommand,
  createTokenCommand,
  addFeedCommand,
  backfillCommand,
  redeliverCommand,
  rotateKeysCommand,
  blockDomainCommand,
  unblockDomainCommand,
  statsCommand,
];

const io: CliIo = {
  out: (line) => {
    process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    process.stderr.write(`${line}\n`);
  },
  interactive: process.stderr.isTTY,
};

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: fedi-bridge <command> [options]

The bridge's admin commands. They read the service's environment (DATABASE_URL, SECRET_KEY,
REDIS_URL, QUEUE_PREFIX, API_JWT_SECRET, …; docs/configuration.md) and work on its database and
queues directly; without DATABASE_URL, on the embedded database in DATA_DIR (./.data).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -h, --help     this help; "fedi-bridge <command> --help" for a command's
  -v, --version  the bridge's version

Exit codes: 0 done, 1 failed (the message says what to do), 2 wrong usage.

Examples:
  fedi-bridge create-token --scopes ingest --sub platform
  fedi-bridge stats
  fedi-bridge redeliver story-42`;
}

/** Runs the command line; resolves with the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.out(topic?.help ?? mainHelp());
    return ExitCode.ok;
  }
  if (name === '-v' || name === '--version') {
    io.out(PACKAGE.version);
    return ExitCode.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`fedi-bridge: unknown command "${name}"`);
    io.err(
      `Commands: ${COMMANDS.map((c) => c.name).join(', ')}. Run "fedi-bridge --help" for usage.`,
    );
    return ExitCode.usage;
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true) {
      io.out(command.help);
      return ExitCode.ok;
    }
    const { min, max } = command.positionals;
    if (positionals.length < min || positionals.length > max) {
      throw new UsageError(
        positionals.length < min
          ? 'missing argument'
          : `unexpected argument(s): ${positionals.slice(max).join(' ')}`,
      );
    }
    const config = loadConfig(process.env);
    await command.run({ values, positionals, config, io });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`fedi-bridge ${command.name}: ${(error as Error).message}`);
      io.err(`Run "fedi-bridge ${command.name} --help" for usage.`);
      return ExitCode.usage;
    }
    if (error instanceof ConfigError) {
      io.err(`fedi-bridge ${command.name}: ${error.message}`);
      io.err('The CLI reads the same environment as the service (docs/configuration.md).');
      return ExitCode.failure;
    }
    if (error instanceof CliError) {
      io.err(`fedi-bridge ${command.name}: ${error.message}`);
      return ExitCode.failure;
    }
    io.err(`fedi-bridge ${command.name} failed: ${describeError(error)}`);
    if (error instanceof Error && error.stack !== undefined) io.err(error.stack);
    return ExitCode.failure;
  }
}

/** node:util parseArgs's errors: unknown option, missing value, and the like. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything was closed; should a library leave a handle open, do not wait on it.
setTimeout(() => process.exit(code), 5_000).unref();
