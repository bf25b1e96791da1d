import { z } from 'zod';

/** Emails are compared lower-cased and trimmed, so one person cannot register twice. */
export const Email = z.email('invalid email').max(320).transform((v) => v.trim().toLowerCase());

/** Seed 001's rule: 8+ characters with at least one digit and one special character. */
export const Password = z
  .string()
  .min(8, 'at least 8 characters')
  .max(256)
  .regex(/\d/, 'at least one digit')
  .regex(/[^A-Za-z0-9]/, 'at least one special character');

export const Uuid = z.uuid('not a valid id');

/** A decimal as JSON or a query string writes it: digits, sign, point, exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A number from a query string or a JSON body: decimal text is read as its number and an empty
 * parameter as absent (the given schema's default or optional applies); anything else (hex,
 * booleans, arrays) is refused, where `z.coerce.number()` read '0x10' as 16, true and [1] as 1,
 * and '' as 0.
 */
export const numeric = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : value), schema);

/**
 * A moment as ISO 8601 with its offset, in years 1 to 9999: Postgres has no year 0, and the driver
 * writes wider years in a form it refuses.
 */
export const Instant = z.iso.datetime({ offset: true }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 1 && year <= 9999;
}, 'the year must be 1 to 9999');

export const Paging = z.object({
  skip: numeric(z.number().int().min(0).max(1_000_000).default(0)),
  limit: numeric(z.number().int().min(1).max(200).default(50)),
});

export const Name = z.string().trim().min(1).max(200);
