import { DatabaseError } from 'pg';
import { z } from 'zod';
import { DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
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

  it.each([
    ['22001', 'value too long for type character varying(300)'],
    ['22003', 'value "2147483648" is out of range for type integer'],
    ['22P02', 'invalid input syntax for type integer: "abc"'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22P05', 'unsupported Unicode escape sequence'],
  ])('maps Postgres refusing a value (%s) to 422 without the SQL', (code, message) => {
    // As MikroORM wraps a pg error: its own properties, the SQL in front of the message.
    const presented = present(new DriverException(Object.assign(new Error(`insert into "properties" ("title") values ('x') - ${message}`), { code })));
    expect(presented).toMatchObject({ status: 422, code: 'validation_error' });
    expect(presented.message).not.toMatch(/insert|properties/);
  });

  it('maps the same refusal as pg throws it from a raw query', () => {
    const raw = Object.assign(new DatabaseError('select \'x\' - value too long for type character varying(3)', 100, 'error'), { code: '22001' });
    expect(present(raw)).toMatchObject({ status: 422, code: 'validation_error' });
  });

  it('still calls other driver errors internal', () => {
    expect(present(new DriverException(Object.assign(new Error('connection terminated'), { code: '57P01' })))).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('never exposes the message of an unknown error', () => {
    expect(present(new Error('connection string postgres://secret'))).toEqual({ status: 500, code: 'internal_error', message: 'Internal server error' });
  });

  it('hides the message of a 4xx library error that is not meant to be exposed', () => {
    expect(present(Object.assign(new Error('internal detail'), { status: 400, expose: false }))).toMatchObject({ status: 400, message: 'Bad request' });
  });
});
