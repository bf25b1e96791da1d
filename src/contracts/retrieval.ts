/**
 * What the retrieval activity returns to the chat workflow: the passages and listings a reply may
 * be grounded in, tenant-scoped, with the ids kept on the stored message.
 */
export interface RetrieveInput {
  tenantId: string;
  query: string;
  /** How many of each kind; defaults to 5. */
  k?: number;
}

export interface RetrievedPassage {
  /** Knowledge chunk id (`<documentId or kbEntryId>:<chunk index>`). */
  id: string;
  source: 'document' | 'kb';
  /** The document or knowledge-base entry the chunk belongs to. */
  sourceId: string;
  title: string | null;
  text: string;
  score: number;
}

export interface RetrievedListing {
  /** Property id. */
  id: string;
  title: string;
  address: string | null;
  city: string | null;
  propertyType: string | null;
  listingType: 'sale' | 'rent' | null;
  price: number | null;
  monthlyRent: number | null;
  sizeSf: number | null;
  bedrooms: number | null;
  /** A one-line summary the assistant may quote. */
  summary: string;
  score: number;
}

export interface RetrievalResult {
  passages: RetrievedPassage[];
  listings: RetrievedListing[];
  /** Embedder that built the query vector, for the message's provenance. */
  embedder: string;
  tookMs: number;
}
