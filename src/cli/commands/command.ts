import type { ParseArgsConfig } from 'node:util';
import type { AppConfig } from '../../config/config.js';

/** Exit codes of `fedi-bridge`: done, failed, or called wrongly. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * A mistake in how the command was called (unknown option, missing argument, bad value): exit
 * code 2, with a pointer to the command's help.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * An expected failure the operator can fix (nothing to connect to, no such story, no secret):
 * exit code 1, the message alone, no stack.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Where a command writes: results to `out` (stdout), progress and notes to `err` (stderr). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Whether stderr is a terminal (progress redraws one line there). */
  readonly interactive: boolean;
}

/** What a command receives: its parsed options and positionals, the config and the output. */
export interface CommandInput {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly config: AppConfig;
  readonly io: CliIo;
}

/** One `fedi-bridge` command. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The whole `--help` text: usage, options, examples. */
  readonly help: string;
  /** Options for node:util `parseArgs` (`--help` is added). */
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** How many positionals the command takes. */
  readonly positionals: { readonly min: number; readonly max: number };
  run(input: CommandInput): Promise<void>;
}

/** A string option's value, or `undefined`. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A flag's value. */
export function flag(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}

/** A whole-number option within bounds, or `undefined` when absent; a usage error otherwise. */
export function intOption(
  input: CommandInput,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = stringOption(input, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

/** An error's message, with its cause's (pg and TypeORM wrap the useful part). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
