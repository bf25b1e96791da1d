import { CustomerSchema, LeadActivitySchema } from './customer';
import { EventSchema } from './event';
import { ApiKeySchema, AuditLogSchema, AuthSessionSchema, RateLimitWindowSchema, RotatedTokenSchema, UserSchema } from './identity';
import { TenantConfigSchema, TenantConfigVersionSchema, TenantSchema } from './tenant';

export * from './customer';
export * from './event';
export * from './identity';
export * from './tenant';

export const entities = [EventSchema, TenantSchema, TenantConfigSchema, TenantConfigVersionSchema, UserSchema, AuthSessionSchema, RotatedTokenSchema, ApiKeySchema, AuditLogSchema, RateLimitWindowSchema, CustomerSchema, LeadActivitySchema];

/** Entities whose rows belong to one tenant: the `tenant` filter applies to every query on them. */
export const TENANT_OWNED = ['TenantConfig', 'TenantConfigVersion', 'User', 'ApiKey', 'AuditLog', 'Customer', 'LeadActivity'];
