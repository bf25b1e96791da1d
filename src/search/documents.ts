import type { KnowledgeChunk, Property } from '../db/entities';
import { searchText } from '../embeddings/text';

const money = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** The line the assistant may quote for a listing: only facts the record holds. */
export function propertySummary(p: Pick<Property, 'title' | 'propertyType' | 'listingType' | 'address' | 'city' | 'sizeSf' | 'bedrooms' | 'price' | 'monthlyRent' | 'status'>): string {
  const parts = [p.title];
  if (p.propertyType) parts.push(p.propertyType);
  const where = [p.address, p.city].filter(Boolean).join(', ');
  if (where) parts.push(where);
  if (p.sizeSf != null) parts.push(`${money(p.sizeSf)} sf`);
  if (p.bedrooms != null) parts.push(`${p.bedrooms} bedrooms`);
  if (p.price != null) parts.push(`price ${money(p.price)}`);
  if (p.monthlyRent != null) parts.push(`rent ${money(p.monthlyRent)}/month`);
  if (p.status !== 'available') parts.push(p.status.replace('_', ' '));
  return parts.join(' · ');
}

/** Everything about a listing worth matching a question against. */
export function propertyText(p: Property): string {
  return [p.title, p.propertyType, p.listingType === 'rent' ? 'for rent' : p.listingType === 'sale' ? 'for sale' : null, p.address, p.floor && `floor ${p.floor}`, p.suite && `suite ${p.suite}`, p.city, p.description, p.bedrooms != null ? `${p.bedrooms} bedrooms` : null]
    .filter(Boolean)
    .join(' \n');
}

export function propertyDocument(p: Property, embedding: number[]): Record<string, unknown> {
  return {
    id: p.id,
    tenant_id: p.tenantId,
    external_id: p.externalId,
    title: p.title,
    address: p.address,
    city: p.city,
    property_type: p.propertyType,
    listing_type: p.listingType,
    status: p.status,
    size_sf: p.sizeSf,
    price: p.price,
    monthly_rent: p.monthlyRent,
    annual_rent: p.annualRent,
    bedrooms: p.bedrooms,
    bathrooms: p.bathrooms,
    summary: propertySummary(p),
    search_text: searchText(propertyText(p)),
    updated_at: p.updatedAt.toISOString(),
    embedding,
  };
}

/** The title leads the embedded text: a passage about "Office hours" should match that question. */
export const chunkSearchText = (c: Pick<KnowledgeChunk, 'title' | 'text'>) => (c.title ? `${c.title}\n${c.text}` : c.text);

export function chunkDocument(c: KnowledgeChunk, embedding: number[]): Record<string, unknown> {
  return {
    id: c.id,
    tenant_id: c.tenantId,
    source: c.source,
    source_id: c.sourceId,
    ordinal: c.ordinal,
    title: c.title,
    text: c.text,
    search_text: searchText(chunkSearchText(c)),
    embedding,
  };
}
