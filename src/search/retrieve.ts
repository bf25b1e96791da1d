import type { estypes } from '@elastic/elasticsearch';
import type { RetrievalResult, RetrieveInput, RetrievedListing, RetrievedPassage } from '../contracts/retrieval';
import type { Embedder } from '../embeddings/types';
import type { SearchClient } from './client';
import { hybridSearch, type HybridHit } from './hybrid';
import { aliasName } from './indices';

export interface SearchDeps {
  es: SearchClient;
  embedder: Embedder;
  /** ELASTICSEARCH_INDEX_PREFIX. */
  prefix: string;
}

export interface ChunkSource {
  id: string;
  source: 'document' | 'kb';
  source_id: string;
  ordinal: number;
  title: string | null;
  text: string;
}

export interface PropertySource {
  id: string;
  title: string;
  address: string | null;
  city: string | null;
  property_type: string | null;
  listing_type: 'sale' | 'rent' | null;
  status: string;
  price: number | null;
  monthly_rent: number | null;
  size_sf: number | null;
  bedrooms: number | null;
  summary: string;
}

export interface PropertyFilters {
  minPrice?: number;
  maxPrice?: number;
  minRent?: number;
  maxRent?: number;
  minSize?: number;
  maxSize?: number;
  minBedrooms?: number;
  city?: string;
  propertyType?: string;
  listingType?: 'sale' | 'rent';
  status?: string[];
}

const range = (field: string, gte?: number, lte?: number): estypes.QueryDslQueryContainer[] =>
  gte === undefined && lte === undefined ? [] : [{ range: { [field]: { ...(gte !== undefined ? { gte } : {}), ...(lte !== undefined ? { lte } : {}) } } }];

/** Structured listing filters as Elasticsearch clauses (the tenant's is added by the search). */
export function propertyFilterClauses(f: PropertyFilters): estypes.QueryDslQueryContainer[] {
  return [
    ...range('price', f.minPrice, f.maxPrice),
    ...range('monthly_rent', f.minRent, f.maxRent),
    ...range('size_sf', f.minSize, f.maxSize),
    ...range('bedrooms', f.minBedrooms, undefined),
    ...(f.city ? [{ match: { city: { query: f.city, operator: 'and' as const } } }] : []),
    ...(f.propertyType ? [{ term: { property_type: f.propertyType.toLowerCase() } }] : []),
    ...(f.listingType ? [{ term: { listing_type: f.listingType } }] : []),
    ...(f.status?.length ? [{ terms: { status: f.status } }] : []),
  ];
}

/** Ranked passages of the tenant's documents and knowledge base (optionally one source kind). */
export async function searchPassages(deps: SearchDeps, tenantId: string, query: string, size: number, source?: 'kb' | 'document', vector?: number[]): Promise<HybridHit<ChunkSource>[]> {
  const [embedding] = vector ? [vector] : await deps.embedder.embed([query]);
  return hybridSearch<ChunkSource>(deps.es, {
    index: aliasName(deps.prefix, 'knowledge', tenantId),
    tenantId,
    text: query,
    vector: embedding!,
    textFields: ['title^2', 'text'],
    filters: source ? [{ term: { source } }] : [],
    size,
  });
}

/** Ranked listings of the tenant matching a question and structured filters. */
export async function searchListings(deps: SearchDeps, tenantId: string, query: string, size: number, filters: PropertyFilters = {}, vector?: number[], window?: number): Promise<HybridHit<PropertySource>[]> {
  const [embedding] = vector ? [vector] : await deps.embedder.embed([query]);
  return hybridSearch<PropertySource>(deps.es, {
    index: aliasName(deps.prefix, 'properties', tenantId),
    tenantId,
    text: query,
    vector: embedding!,
    textFields: ['title^2', 'address', 'city'],
    filters: propertyFilterClauses(filters),
    size,
    window,
  });
}

/**
 * What the chat grounds a reply in: the top passages and the top listings still on the market,
 * from one query vector.
 */
export async function retrieve(deps: SearchDeps, input: RetrieveInput): Promise<RetrievalResult> {
  const started = performance.now();
  const k = input.k ?? 5;
  const [vector] = await deps.embedder.embed([input.query]);
  const [passages, listings] = await Promise.all([
    searchPassages(deps, input.tenantId, input.query, k, undefined, vector),
    searchListings(deps, input.tenantId, input.query, k, { status: ['available', 'under_offer'] }, vector),
  ]);
  return {
    passages: passages.map(
      (h): RetrievedPassage => ({ id: h.id, source: h.source.source, sourceId: h.source.source_id, title: h.source.title, text: h.source.text, score: round(h.score) }),
    ),
    listings: listings.map(
      (h): RetrievedListing => ({
        id: h.id,
        title: h.source.title,
        address: h.source.address,
        city: h.source.city,
        propertyType: h.source.property_type,
        listingType: h.source.listing_type,
        price: h.source.price,
        monthlyRent: h.source.monthly_rent,
        sizeSf: h.source.size_sf,
        bedrooms: h.source.bedrooms,
        summary: h.source.summary,
        score: round(h.score),
      }),
    ),
    embedder: deps.embedder.id,
    tookMs: Math.round(performance.now() - started),
  };
}

const round = (x: number) => Number(x.toFixed(6));
