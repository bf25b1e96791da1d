import { ChatMessageSchema, ChatSessionSchema } from './chat';
import { CustomerSchema, LeadActivitySchema } from './customer';
import { EventSchema } from './event';
import { ApiKeySchema, AuditLogSchema, AuthSessionSchema, RateLimitWindowSchema, RotatedTokenSchema, UserSchema } from './identity';
import { DealHistorySchema, DealSchema } from './transaction';
import { DocumentContentSchema, DocumentSchema, KnowledgeChunkSchema, KnowledgeEntrySchema, PropertySchema } from './knowledge';
import { TenantConfigSchema, TenantConfigVersionSchema, TenantSchema } from './tenant';
import { WebhookDeliverySchema, WebhookSubscriptionSchema } from './webhook';

export * from './chat';
export * from './customer';
export * from './event';
export * from './identity';
export * from './knowledge';
export * from './tenant';
export * from './transaction';
export * from './webhook';

export const entities = [EventSchema, TenantSchema, TenantConfigSchema, TenantConfigVersionSchema, UserSchema, AuthSessionSchema, RotatedTokenSchema, ApiKeySchema, AuditLogSchema, RateLimitWindowSchema, CustomerSchema, LeadActivitySchema, DealSchema, DealHistorySchema, WebhookSubscriptionSchema, WebhookDeliverySchema, DocumentSchema, DocumentContentSchema, PropertySchema, KnowledgeEntrySchema, KnowledgeChunkSchema, ChatSessionSchema, ChatMessageSchema];

/** Entities whose rows belong to one tenant: the `tenant` filter applies to every query on them. */
export const TENANT_OWNED = ['TenantConfig', 'TenantConfigVersion', 'User', 'ApiKey', 'AuditLog', 'Customer', 'LeadActivity', 'Deal', 'DealHistory', 'WebhookSubscription', 'WebhookDelivery', 'Document', 'DocumentContent', 'Property', 'KnowledgeEntry', 'KnowledgeChunk', 'ChatSession', 'ChatMessage'];
