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

export const Paging = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const Name = z.string().trim().min(1).max(200);
