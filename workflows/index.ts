export { healthProbe } from './health-probe';
export { leadQualification } from './lead-qualification';
export { webhookDelivery } from './webhook-delivery';
