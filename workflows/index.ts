export { healthProbe } from './health-probe';
