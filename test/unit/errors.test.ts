import { z } from 'zod';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { NotFoundError, ValidationError } from '../../src/errors';
import { present } from '../../src/http/middleware/errors';

describe('present', () => {
  it('keeps the status and code of application errors', () => {
    expect(present(new NotFoundError('Lead 7 not found'))).toEqual({ status: 404, code: 'not_found', message: 'Lead 7 not found', details: undefined });
    expect(present(new ValidationError('bad', { field: 'x' }))).toMatchObject({ status: 422, code: 'validation_error', details: { field: 'x' } });
  });

  it('turns zod issues into 422 details with paths', () => {
    const result = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } });
    expect(result.success).toBe(false);
    const presented = present(result.error);
    expect(presented.status).toBe(422);
    expect(presented.details).toEqual([{ path: 'a.b', message: expect.any(String) }]);
  });

  it('maps a unique violation to 409 without leaking SQL', () => {
    const presented = present(new UniqueConstraintViolationException(new Error('duplicate key value violates unique constraint "x"')));
    expect(presented).toMatchObject({ status: 409, code: 'conflict' });
    expect(presented.message).not.toMatch(/constraint/);
  });

  it('never exposes the message of an unknown error', () => {
    expect(present(new Error('connection string postgres://secret'))).toEqual({ status: 500, code: 'internal_error', message: 'Internal server error' });
  });

  it('hides the message of a 4xx library error that is not meant to be exposed', () => {
    expect(present(Object.assign(new Error('internal detail'), { status: 400, expose: false }))).toMatchObject({ status: 400, message: 'Bad request' });
  });
});
