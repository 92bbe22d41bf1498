import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { BadRequestException } from '@nestjs/common';

// ajv-formats ships CommonJS with a default export; under nodenext it arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const ajv = addFormats(new Ajv({ allErrors: true, strict: true, coerceTypes: false }));

/** One reason a value was refused, located by a JSON pointer into the input. */
export interface ValidationProblem {
  readonly pointer: string;
  readonly message: string;
}

/** The outcome of validating untrusted input. */
export type Validated<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly ValidationProblem[] };

/** Compiles a JSON Schema once into a function that checks untrusted input against it. */
export function validator<T>(schema: JSONSchemaType<T>): (input: unknown) => Validated<T> {
  return untypedValidator<T>(schema);
}

/**
 * {@link validator} for schemas `JSONSchemaType` cannot express (conditionals, `$ref`s): the
 * caller vouches that `T` is what the schema accepts, and a spec should hold it to that.
 */
export function untypedValidator<T>(schema: object): (input: unknown) => Validated<T> {
  const validate: ValidateFunction<T> = ajv.compile<T>(schema);
  return (input) =>
    validate(input)
      ? { ok: true, value: input }
      : { ok: false, problems: problemsOf(validate.errors) };
}

function problemsOf(errors: ErrorObject[] | null | undefined): ValidationProblem[] {
  // `if` only says which branch failed; the branch's own errors carry the pointers.
  const relevant = (errors ?? []).filter((e) => e.keyword !== 'if');
  const seen = new Set<string>();
  return relevant.map(toProblem).filter((p) => {
    const key = `${p.pointer} ${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toProblem(e: ErrorObject): ValidationProblem {
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { pointer: `${e.instancePath}/${missing}`, message: 'is required' };
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { pointer: `${e.instancePath}/${extra}`, message: 'is not a known field' };
  }
  return {
    pointer: e.instancePath === '' ? '/' : e.instancePath,
    message: e.message ?? 'is invalid',
  };
}

/** The value, or a 400 whose JSON body lists every problem by pointer. */
export function validOrThrow<T>(result: Validated<T>): T {
  if (result.ok) return result.value;
  throw new BadRequestException({
    error: 'invalid_request',
    message: result.problems.map((p) => `${p.pointer} ${p.message}`).join('; '),
    problems: result.problems,
  });
}
