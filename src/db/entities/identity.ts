import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const ROLES = ['SUPERADMIN', 'ADMIN', 'AGENT'] as const;
export type Role = (typeof ROLES)[number];

/** A staff account. SUPERADMINs belong to no tenant; everyone else to exactly one. */
export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid().nullable().index(),
    email: p.string().length(320).unique(),
    name: p.string().length(200),
    passwordHash: p.string().length(200).hidden(),
    role: p.enum([...ROLES]),
    isActive: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type User = InferEntity<typeof UserSchema>;

/**
 * One login: its refresh tokens rotate within the session; presenting a rotated token again
 * revokes the session (a stolen token and its rightful owner cannot both go on).
 */
export const AuthSessionSchema = defineEntity({
  name: 'AuthSession',
  tableName: 'auth_sessions',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    userId: p.uuid().index(),
    /** SHA-256 of the refresh token currently valid for this session. */
    currentTokenHash: p.string().length(64).unique(),
    rotations: p.integer().default(0),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    revokedReason: p.string().length(50).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type AuthSession = InferEntity<typeof AuthSessionSchema>;

/** Hashes of refresh tokens already rotated away: finding one means a token was replayed. */
export const RotatedTokenSchema = defineEntity({
  name: 'RotatedToken',
  tableName: 'auth_rotated_tokens',
  properties: (p) => ({
    tokenHash: p.string().length(64).primary(),
    sessionId: p.uuid().index(),
    rotatedAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type RotatedToken = InferEntity<typeof RotatedTokenSchema>;

export const API_KEY_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A machine client's key. Only its SHA-256 is stored; the secret is shown once at creation. */
export const ApiKeySchema = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    tenantId: p.uuid().index(),
    name: p.string().length(100),
    prefix: p.string().length(16),
    secretHash: p.string().length(64).unique().hidden(),
    scopes: p.json<ApiKeyScope[]>(),
    rateLimitPerMinute: p.integer().nullable(),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  }),
});
export type ApiKey = InferEntity<typeof ApiKeySchema>;

/** Who did what: one row per mutating request, whatever its outcome. */
export const AuditLogSchema = defineEntity({
  name: 'AuditLog',
  tableName: 'audit_logs',
  indexes: [{ properties: ['tenantId', 'createdAt'] }],
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    tenantId: p.uuid().nullable(),
    actorType: p.string().length(20),
    actorId: p.string().length(64).nullable(),
    action: p.string().length(100),
    resource: p.string().length(100),
    resourceId: p.string().length(100).nullable(),
    method: p.string().length(10),
    path: p.string().length(500),
    status: p.integer(),
    outcome: p.string().length(20),
    requestId: p.string().length(128),
    ip: p.string().length(64).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  }),
});
export type AuditLog = InferEntity<typeof AuditLogSchema>;

/**
 * Fixed one-minute windows of request counts per API key or user, in Postgres so every API
 * process shares them.
 */
export const RateLimitWindowSchema = defineEntity({
  name: 'RateLimitWindow',
  tableName: 'rate_limit_windows',
  primaryKeys: ['subject', 'windowStart'],
  properties: (p) => ({
    subject: p.string().length(100).primary(),
    windowStart: p.datetime().primary(),
    count: p.integer(),
  }),
});
