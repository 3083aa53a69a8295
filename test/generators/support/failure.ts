/** The failure a generation ends in: it must be a GenerationError (whose kind decides whether an attempt is spent). */
import { expect } from 'vitest';
import { GenerationError } from '../../../adapters/generators/generator.ts';

export async function failure(promise: Promise<unknown>): Promise<GenerationError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GenerationError);
  return error as GenerationError;
}
