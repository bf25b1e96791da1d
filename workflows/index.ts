export { healthProbe } from './health-probe';
export { webhookDelivery } from './webhook-delivery';
