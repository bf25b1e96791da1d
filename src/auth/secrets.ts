import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id at OWASP's baseline (19 MiB, 2 passes, 1 lane): memory-hard against GPU guessing while
 * a login stays around 20 ms of one core (see bench/auth.bench.ts).
 */
const ARGON2 = { algorithm: 2 /* Argon2id; the package's const enum is not importable under isolatedModules */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, ARGON2);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the email is unknown, so timing does not reveal which emails exist. */
let decoy: Promise<string> | undefined;
export const decoyHash = () => (decoy ??= hashPassword(randomBytes(16).toString('hex')));

/** High-entropy secrets (refresh tokens, API keys) need a fast digest, not a password hash. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export const randomSecret = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;
