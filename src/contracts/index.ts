/**
 * What the API and the workflows share: names, ids and message shapes. Nothing here performs I/O,
 * so workflow code may import it.
 */
export * from './events';
export * from './health-probe';
export * from './leads';
export * from './lead-qualification';
export * from './search-attributes';
export * from './webhooks';
export * from './chat';
export * from './documents';
export * from './retrieval';
