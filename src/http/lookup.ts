import { LockMode, type EntityManager, type EntityName, type FilterQuery } from '@mikro-orm/core';
import { NotFoundError } from '../errors';
import { requestEm } from './middleware/identity';
import { Uuid } from './schemas';

/**
 * A record by the id a client sent, through the request's tenant-scoped entity manager: a
 * malformed id, a missing record and another tenant's record all read as the same 404.
 */
export async function findOr404<T extends object>(entity: EntityName<T>, rawId: unknown, what: string, where: FilterQuery<T> = {} as FilterQuery<T>): Promise<T> {
  const id = Uuid.safeParse(rawId);
  const found = id.success ? await requestEm().findOne(entity, { ...(where as object), id: id.data } as FilterQuery<T>) : null;
  if (!found) throw new NotFoundError(`${what} not found`);
  return found as T;
}

/**
 * A record read again under a row lock, inside the caller's transaction: changes to one record
 * queue behind each other, and each starts from the record as the one before left it.
 */
export async function lockedForUpdate<T extends object>(em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>): Promise<T> {
  return (await em.findOneOrFail(entity, where, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })) as T;
}
