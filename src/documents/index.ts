/**
 * Reading uploaded documents, with no I/O: detect what a file is, parse it into listing records or
 * text, and chunk text for the index. Ingestion activities call this; nothing here touches the
 * database, the search index or Temporal.
 */
export { chunkText, type ChunkOptions } from './chunk';
export { DOCUMENT_TYPES, detectFileType, safeFilename, type DetectErrorCode, type DetectResult, type DocumentType, type SafeFilenameResult } from './detect';
export { DocumentError, type DocumentErrorCode } from './errors';
export {
  LISTING_FIELDS,
  LISTING_STATUSES,
  LISTING_TYPES,
  ListingRecordSchema,
  listingFieldFor,
  listingText,
  normalizeListing,
  normalizeListingObject,
  parseAmount,
  type FieldError,
  type JsonValue,
  type ListingField,
  type ListingRecord,
  type ListingStatus,
  type ListingType,
  type NormalizeResult,
} from './listings';
export { parseDocument, parseJsonDocument, parseListingsCsv, type ListingsDocument, type ParsedDocument, type ParseOptions, type RowError, type TextDocument } from './parse';
