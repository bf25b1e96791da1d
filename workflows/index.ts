export { healthProbe } from './health-probe';
export { leadQualification } from './lead-qualification';
export { webhookDelivery } from './webhook-delivery';
export { documentIngestion } from './document-ingestion';
export { searchSync } from './search-sync';
export { chatSession } from './chat-session';
