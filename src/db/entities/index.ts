import { EventSchema } from './event';

export { EventSchema, type Event } from './event';

export const entities = [EventSchema];
