import Router from '@koa/router';
import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { LISTING_TYPES, PROPERTY_STATUSES } from '../../contracts/documents';
import { PropertySchema, type Property } from '../../db/entities';
import { normalizeListingObject } from '../../documents';
import { createEmbedder } from '../../embeddings';
import { AppError, ValidationError } from '../../errors';
import { saveAndIndex } from '../../knowledge/workflows';
import { searchListings } from '../../search/retrieve';
import type { AppDeps } from '../deps';
import { findOr404, lockedForUpdate } from '../lookup';
import { requestEm, requireRole, targetTenant } from '../middleware/identity';
import { numeric, Uuid } from '../schemas';

const amount = z.number().min(0).max(1e12);
const SORTS = ['created_at', '-created_at', 'price', '-price', 'monthly_rent', '-monthly_rent', 'size_sf', '-size_sf', 'relevance'] as const;
export const PropertyListQuerySchema = z
  .object({
    limit: numeric(z.number().int().min(1).max(200).default(50)),
    offset: numeric(z.number().int().min(0).max(1_000).default(0)),
    q: z.string().trim().min(1).max(500).optional(),
    min_price: numeric(amount.optional()),
    max_price: numeric(amount.optional()),
    min_rent: numeric(amount.optional()),
    max_rent: numeric(amount.optional()),
    min_size: numeric(amount.optional()),
    max_size: numeric(amount.optional()),
    min_bedrooms: numeric(z.number().int().min(0).max(100).optional()),
    city: z.string().trim().min(1).max(120).optional(),
    property_type: z.string().trim().min(1).max(60).optional(),
    listing_type: z.enum(LISTING_TYPES).optional(),
    status: z.enum(PROPERTY_STATUSES).optional(),
    sort: z.enum(SORTS).optional(),
    broker_id: Uuid.optional(),
  })
  .refine((q) => q.min_price === undefined || q.max_price === undefined || q.min_price <= q.max_price, { message: 'min_price is above max_price', path: ['min_price'] })
  .refine((q) => q.min_rent === undefined || q.max_rent === undefined || q.min_rent <= q.max_rent, { message: 'min_rent is above max_rent', path: ['min_rent'] })
  .refine((q) => q.min_size === undefined || q.max_size === undefined || q.min_size <= q.max_size, { message: 'min_size is above max_size', path: ['min_size'] });

/** The writable fields, under seed 000's and the portal's names; validated by the listing rules. */
const PropertyWriteSchema = z.strictObject({
  unique_id: z.union([z.string().trim().min(1).max(300), z.number().int()]).optional(),
  title: z.string().trim().min(1).max(300).optional(),
  property_address: z.string().trim().min(1).max(300).nullable().optional(),
  address: z.string().trim().min(1).max(300).nullable().optional(),
  floor: z.union([z.string().max(50), z.number()]).nullable().optional(),
  suite: z.union([z.string().max(50), z.number()]).nullable().optional(),
  city: z.string().trim().max(120).nullable().optional(),
  neighborhood: z.string().trim().max(120).nullable().optional(),
  property_type: z.string().trim().max(60).nullable().optional(),
  listing_type: z.enum(LISTING_TYPES).nullable().optional(),
  status: z.enum(PROPERTY_STATUSES).optional(),
  size_sf: numeric(amount.nullable().optional()),
  rent_per_sf_year: numeric(amount.nullable().optional()),
  annual_rent: numeric(amount.nullable().optional()),
  monthly_rent: numeric(amount.nullable().optional()),
  price: numeric(amount.nullable().optional()),
  bedrooms: z.number().int().min(0).max(100).nullable().optional(),
  bathrooms: z.number().min(0).max(100).nullable().optional(),
  broker_email: z.email().max(320).nullable().optional(),
  gci_on_3_years: numeric(amount.nullable().optional()),
  description: z.string().max(20_000).nullable().optional(),
});
type PropertyWrite = z.infer<typeof PropertyWriteSchema>;

export function presentProperty(p: Property, score?: number) {
  return {
    id: p.id,
    unique_id: p.externalId,
    title: p.title,
    property_address: p.address,
    floor: p.floor,
    suite: p.suite,
    city: p.city,
    neighborhood: p.neighborhood,
    property_type: p.propertyType,
    listing_type: p.listingType,
    status: p.status,
    size_sf: p.sizeSf,
    rent_per_sf_year: p.rentPerSfYear,
    annual_rent: p.annualRent,
    monthly_rent: p.monthlyRent,
    price: p.price,
    bedrooms: p.bedrooms,
    bathrooms: p.bathrooms,
    broker_email: p.brokerEmail,
    gci_on_3_years: p.gciOn3Years,
    description: p.description,
    extra: p.extra,
    document_id: p.documentId,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    ...(score !== undefined ? { score: Number(score.toFixed(6)) } : {}),
  };
}

/** The listing rules (derived rents, natural key) applied to an API write. */
function normalize(raw: Record<string, unknown>) {
  const result = normalizeListingObject(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if (!result.ok) throw new ValidationError('The listing is not valid', result.errors.map((e) => ({ path: e.field ?? '', message: e.message })));
  return result.record;
}

function assignRecord(p: Property, r: ReturnType<typeof normalize>): void {
  Object.assign(p, {
    title: r.title, address: r.address, floor: r.floor, suite: r.suite, city: r.city, neighborhood: r.neighborhood, propertyType: r.propertyType,
    listingType: r.listingType, status: r.status, sizeSf: r.sizeSf, rentPerSfYear: r.rentPerSfYear, annualRent: r.annualRent, monthlyRent: r.monthlyRent,
    price: r.price, bedrooms: r.bedrooms, bathrooms: r.bathrooms, brokerEmail: r.brokerEmail, gciOn3Years: r.gciOn3Years, description: r.description,
  });
}

/** The stored listing as write input, so a PATCH is validated as the whole record it produces. */
function asInput(p: Property, patch: PropertyWrite): Record<string, unknown> {
  const rentInputsChanged = ['size_sf', 'rent_per_sf_year', 'annual_rent', 'monthly_rent'].some((k) => k in patch);
  const base: Record<string, unknown> = {
    unique_id: p.externalId, title: p.title, property_address: p.address, floor: p.floor, suite: p.suite, city: p.city, neighborhood: p.neighborhood,
    property_type: p.propertyType, listing_type: p.listingType, status: p.status, size_sf: p.sizeSf, rent_per_sf_year: p.rentPerSfYear,
    // Derived rents are recomputed when their inputs change, unless the patch states them.
    annual_rent: rentInputsChanged ? undefined : p.annualRent, monthly_rent: rentInputsChanged ? undefined : p.monthlyRent,
    price: p.price, bedrooms: p.bedrooms, bathrooms: p.bathrooms, broker_email: p.brokerEmail, gci_on_3_years: p.gciOn3Years, description: p.description,
  };
  const { address, ...rest } = patch;
  return { ...base, ...(address !== undefined ? { property_address: address } : {}), ...rest };
}

/** Seed 002's properties: filtered listing (Postgres, or Elasticsearch when there is a `q`), create, update. */
export function propertyRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/properties' });
  router.use(requireRole('SUPERADMIN', 'ADMIN', 'AGENT'));
  const embedder = createEmbedder(deps.config);

  router.get('/', async (ctx) => {
    const q = PropertyListQuerySchema.parse(ctx.query);
    const tenantId = targetTenant(ctx, q.broker_id);
    const em = requestEm();
    if (q.q) {
      // Relevance first: the hybrid search ranks, Postgres supplies the current rows.
      const hits = await searchListings(
        { es: deps.es, embedder, prefix: deps.config.ELASTICSEARCH_INDEX_PREFIX },
        tenantId,
        q.q,
        q.offset + q.limit,
        {
          minPrice: q.min_price, maxPrice: q.max_price, minRent: q.min_rent, maxRent: q.max_rent, minSize: q.min_size, maxSize: q.max_size,
          minBedrooms: q.min_bedrooms, city: q.city, propertyType: q.property_type, listingType: q.listing_type, status: q.status ? [q.status] : undefined,
        },
        undefined,
        Math.min(1000, (q.offset + q.limit) * 4),
      );
      const page = hits.slice(q.offset, q.offset + q.limit);
      const rows = page.length ? await em.find(PropertySchema, { id: { $in: page.map((h) => h.id) } }) : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      let data = page.filter((h) => byId.has(h.id)).map((h) => presentProperty(byId.get(h.id)!, h.score));
      if (q.sort && q.sort !== 'relevance') data = sortRows(data, q.sort);
      ctx.body = { data, total: hits.length, limit: q.limit, offset: q.offset, sort: q.sort ?? 'relevance' };
      return;
    }
    const where: FilterQuery<Property> = {
      tenantId,
      ...range('price', q.min_price, q.max_price),
      ...range('monthlyRent', q.min_rent, q.max_rent),
      ...range('sizeSf', q.min_size, q.max_size),
      ...(q.min_bedrooms !== undefined ? { bedrooms: { $gte: q.min_bedrooms } } : {}),
      ...(q.city ? { city: { $ilike: q.city.replace(/[%_\\]/g, '\\$&') } } : {}),
      ...(q.property_type ? { propertyType: q.property_type.toLowerCase() } : {}),
      ...(q.listing_type ? { listingType: q.listing_type } : {}),
      ...(q.status ? { status: q.status } : {}),
    };
    const sort = q.sort && q.sort !== 'relevance' ? q.sort : '-created_at';
    const field = { created_at: 'createdAt', price: 'price', monthly_rent: 'monthlyRent', size_sf: 'sizeSf' }[sort.replace(/^-/, '') as 'price'] as 'price';
    const [rows, total] = await em.findAndCount(PropertySchema, where, {
      orderBy: { [field]: sort.startsWith('-') ? 'desc nulls last' : 'asc nulls last', id: 'asc' },
      offset: q.offset,
      limit: q.limit,
    });
    ctx.body = { data: rows.map((r) => presentProperty(r)), total, limit: q.limit, offset: q.offset, sort };
  });

  router.post('/', requireRole('SUPERADMIN', 'ADMIN', 'AGENT'), async (ctx) => {
    const body = PropertyWriteSchema.parse(ctx.request.body);
    const tenantId = targetTenant(ctx, z.object({ broker_id: Uuid.optional() }).parse(ctx.query).broker_id);
    const { address, ...rest } = body;
    const record = normalize({ ...rest, ...(address !== undefined && body.property_address === undefined ? { property_address: address } : {}) });
    const em = requestEm();
    if (await em.count(PropertySchema, { tenantId, externalId: record.externalId })) {
      throw new AppError(409, 'conflict', `A property with unique_id ${record.externalId} already exists`, [{ path: 'unique_id', message: 'already exists' }]);
    }
    const property = em.create(PropertySchema, { tenantId, externalId: record.externalId, title: record.title, extra: {} });
    assignRecord(property, record);
    const indexing = await saveAndIndex(deps, em, tenantId, () => ({ kind: 'property', propertyId: property.id }));
    ctx.state.audit = { action: 'properties.create', resource: 'properties', resourceId: property.id };
    ctx.status = 201;
    ctx.body = { ...presentProperty(property), indexing };
  });

  router.get('/:id', async (ctx) => {
    ctx.body = presentProperty(await findOr404(PropertySchema, ctx.params.id, 'Property'));
  });

  router.patch('/:id', async (ctx) => {
    const body = PropertyWriteSchema.parse(ctx.request.body);
    const found = await findOr404(PropertySchema, ctx.params.id, 'Property');
    if (body.unique_id !== undefined && String(body.unique_id) !== found.externalId) {
      throw new ValidationError('unique_id identifies the listing and cannot change', [{ path: 'unique_id', message: 'read-only' }]);
    }
    const em = requestEm();
    let property = found;
    const indexing = await saveAndIndex(deps, em, found.tenantId, () => ({ kind: 'property', propertyId: found.id }), async () => {
      // Edits of one listing queue on its row, each deriving the rents from the row as the one before left it.
      property = await lockedForUpdate(em, PropertySchema, { id: found.id });
      assignRecord(property, normalize(asInput(property, body)));
    });
    ctx.state.audit = { action: 'properties.update', resource: 'properties', resourceId: property.id };
    ctx.body = { ...presentProperty(property), indexing };
  });

  return router;
}

function range(field: string, gte?: number, lte?: number): Record<string, unknown> {
  if (gte === undefined && lte === undefined) return {};
  return { [field]: { ...(gte !== undefined ? { $gte: gte } : {}), ...(lte !== undefined ? { $lte: lte } : {}) } };
}

function sortRows<T extends Record<string, unknown>>(rows: T[], sort: string): T[] {
  const key = sort.replace(/^-/, '');
  const dir = sort.startsWith('-') ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[key] as number | string | null;
    const y = b[key] as number | string | null;
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * dir;
  });
}
