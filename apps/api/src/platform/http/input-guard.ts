import type { FastifyInstance } from 'fastify';
import type { ErrorDetail } from '@astrix/contracts';
import { AppError } from './app-error';

/** No request of ours nests deeper; a deeper body would only exhaust recursive transformers. */
export const MAX_INPUT_DEPTH = 32;

/**
 * The first problem in a parsed input that no route can accept: a NUL character in a string or a
 * key (Postgres refuses it in text and jsonb, which surfaced as a 500), or nesting deeper than
 * MAX_INPUT_DEPTH. Walks without recursion, so a hostile depth cannot overflow the stack.
 */
export function inputProblem(input: unknown, root = ''): ErrorDetail | null {
  return mayHaveProblem(input) ? problemWithPath(input, root) : null;
}

/**
 * The same walk with no paths kept (every request's body goes through it, a usage batch has thousands
 * of values): false only when problemWithPath would find nothing. It may look at more than that walk
 * (inherited enumerable keys too), never less.
 */
function mayHaveProblem(input: unknown): boolean {
  const values: unknown[] = [input];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop() as number;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_INPUT_DEPTH) return true;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) {
        values.push(value[index]);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in value) {
      if (key.includes('\u0000')) return true;
      values.push((value as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return false;
}

/** The first problem, with the path to it. */
export function problemWithPath(input: unknown, root = ''): ErrorDetail | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: input, path: root, depth: 0 },
  ];
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'string') {
      if (value.includes('\u0000'))
        return { field: path || 'body', message: 'must not contain a NUL character' };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_INPUT_DEPTH) {
      return { field: path || 'body', message: `must not nest deeper than ${MAX_INPUT_DEPTH} levels` };
    }
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key.includes('\u0000')) {
        return {
          field: join(path, key.replaceAll('\u0000', '\\u0000')),
          message: 'must not contain a NUL character',
        };
      }
      stack.push({ value: item, path: join(path, key), depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Refuses, on every route before validation, path parameters, query values and bodies that no
 * route can accept (see inputProblem): 400 VALIDATION_ERROR naming the field.
 */
export function refuseUnacceptableInput(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    for (const part of [request.params, request.query, request.body]) {
      const problem = inputProblem(part);
      if (problem) {
        done(new AppError(400, 'VALIDATION_ERROR', `${problem.field} ${problem.message}`, [problem]));
        return;
      }
    }
    done();
  });
}
