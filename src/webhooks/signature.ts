import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Secrets generated when the caller brings none; the prefix says what the string is. */
export const generateWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** Hex HMAC-SHA256 of `<timestamp>.<body>`: binding the timestamp lets receivers refuse replays. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The `X-Webhook-Signature` value: versioned so the scheme can change without ambiguity. */
export const signatureHeader = (secret: string, timestamp: number, body: string) => `v1=${signWebhook(secret, timestamp, body)}`;

/**
 * What a receiver does: recompute, compare in constant time, and refuse timestamps outside the
 * tolerance (a captured request cannot be replayed later).
 */
export function verifyWebhookSignature(input: { secret: string; timestamp: string; body: string; signature: string; toleranceSeconds?: number; now?: Date }): boolean {
  const timestamp = Number(input.timestamp);
  if (!Number.isInteger(timestamp)) return false;
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signatureHeader(input.secret, timestamp, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
