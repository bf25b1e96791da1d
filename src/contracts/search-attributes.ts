/**
 * Custom search attributes registered on the Temporal namespace, so operators can find a tenant's
 * or a lead's workflows in the Temporal UI ("CrmTenantId = 'abc'").
 */
export const CUSTOM_SEARCH_ATTRIBUTES = {
  CrmTenantId: 'Keyword',
  CrmLeadId: 'Keyword',
  CrmSessionId: 'Keyword',
  CrmDocumentId: 'Keyword',
  CrmTicketId: 'Keyword',
  CrmStatus: 'Keyword',
  CrmChannel: 'Keyword',
} as const;

export type CustomSearchAttributeName = keyof typeof CUSTOM_SEARCH_ATTRIBUTES;
