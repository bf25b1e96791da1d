import { CsvError, parse as parseCsv, type CsvErrorCode } from 'csv-parse/sync';
import type { DocumentType } from './detect';
import { zipEntries } from './detect';
import { DocumentError } from './errors';
import { extractText, type ExtractOptions } from './extract';
import { parseJsonText } from './json';
import { LISTING_FIELDS, NUMERIC_FIELDS, mapHeaders, normalizeListing, normalizeListingObject, listingFieldFor, type JsonValue, type ListingField, type ListingRecord, type NormalizeResult } from './listings';
import { decodeUtf8, isBlank } from './text';


import type { RowError } from '../contracts/documents';

export type { RowError };

export interface ListingsDocument {
  kind: 'listings';
  rows: Array<{ row: number; record: ListingRecord }>;
  errors: RowError[];
  /** Data rows seen, accepted or not (blank lines are not rows). */
  totalRows: number;
}

export interface TextDocument {
  kind: 'text';
  text: string;
  pages?: number;
}

export type ParsedDocument = ListingsDocument | TextDocument;
export type ParseOptions = ExtractOptions;

/** A longer record is an unclosed quote swallowing the file, not a listing. */
const MAX_RECORD_CHARS = 256 * 1024;
/** Past this many unreadable rows the file is not a CSV of listings, or not in this dialect. */
const MAX_MALFORMED_ROWS = 1000;
/** A document.xml this large (as its ZIP entry declares) is a ZIP bomb, not a Word document. */
const MAX_DOCX_XML_BYTES = 64 * 1024 * 1024;

/**
 * Reads a file whose type detectFileType settled: CSV and JSON arrays of objects become listing
 * records with per-row errors, everything else becomes text to chunk. Throws DocumentError only
 * when nothing in the file can be used.
 */
export async function parseDocument(type: DocumentType, bytes: Uint8Array, options: ParseOptions = {}): Promise<ParsedDocument> {
  if (isBlank(bytes)) throw new DocumentError('empty_file', 'The file is empty');
  switch (type) {
    case 'csv':
      return parseListingsCsv(decodeUtf8(bytes));
    case 'json':
      return parseJsonDocument(decodeUtf8(bytes));
    case 'txt':
      return { kind: 'text', text: unixNewlines(decodeUtf8(bytes)).trim() };
    case 'pdf':
      return textOf(await extractText('pdf', bytes, options));
    case 'docx': {
      const entries = zipEntries(bytes);
      const xmlSize = entries?.get('word/document.xml');
      if (xmlSize === undefined) throw new DocumentError('corrupt_file', 'The DOCX could not be read: it is not a readable Word document');
      if (xmlSize > MAX_DOCX_XML_BYTES) throw new DocumentError('too_large', `The DOCX's text would unpack to ${Math.round(xmlSize / 1024 / 1024)} MB`);
      return textOf(await extractText('docx', bytes, options));
    }
  }
}

const unixNewlines = (text: string) => text.replace(/\r\n?/g, '\n');
/**
 * Text from an extractor or from JSON escapes may hold what Postgres cannot store: NUL goes, a
 * lone surrogate becomes U+FFFD (as Postgres would make it anyway in a text column).
 */
const storable = (text: string) => (text.includes('\0') ? text.replaceAll('\0', '') : text).toWellFormed();

function textOf(extracted: { text: string; pages?: number }): TextDocument {
  const text = unixNewlines(storable(extracted.text).normalize('NFC')).trim();
  // A scan has pages but no text layer; say so rather than index nothing.
  if (text === '') throw new DocumentError('no_text', 'The document has no extractable text (a scanned image? OCR is not supported)');
  return { kind: 'text', text, ...(extracted.pages !== undefined ? { pages: extracted.pages } : {}) };
}

/** Gathers rows from either format, rejecting a second row with the same natural key. */
class ListingCollector {
  readonly rows: ListingsDocument['rows'] = [];
  readonly errors: RowError[] = [];
  totalRows = 0;
  private readonly seen = new Map<string, number>();

  add(row: number, result: NormalizeResult): void {
    this.totalRows++;
    if (!result.ok) {
      for (const error of result.errors) this.errors.push({ row, ...error });
      return;
    }
    const { record } = result;
    const first = this.seen.get(record.externalId);
    if (first !== undefined) {
      const field = record.address !== null && record.externalId.includes('|') ? 'property_address' : 'unique_id';
      this.errors.push({ row, field, message: `${field} repeats the listing on row ${first} (key "${record.externalId}")` });
      return;
    }
    this.seen.set(record.externalId, row);
    this.rows.push({ row, record });
  }

  reject(row: number, message: string): void {
    this.totalRows++;
    this.errors.push({ row, message });
  }

  result(): ListingsDocument {
    return { kind: 'listings', rows: this.rows, errors: this.errors, totalRows: this.totalRows };
  }
}

const CSV_PROBLEMS: Partial<Record<CsvErrorCode, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters (an unclosed quote?)',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field and double the quote)',
  CSV_MAX_RECORD_SIZE: `the row runs past ${MAX_RECORD_CHARS} characters (an unclosed quote?)`,
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters after a closing quote',
};

/** Picks the delimiter the header uses: spreadsheets in Spanish-speaking locales save with ";". */
function sniffDelimiter(text: string): string {
  const start = text.search(/\S/);
  const end = text.indexOf('\n', start);
  const header = text.slice(start, end === -1 ? undefined : end);
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t']) {
    const count = header.replace(/"[^"]*"/g, '').split(candidate).length - 1;
    if (count > bestCount) [best, bestCount] = [candidate, count];
  }
  return best;
}

/** "1.234,56" ↔ "1,234.56": the amount parser then reads either style strictly. */
const swapSeparators = (value: string) => value.replace(/[.,]/g, (c) => (c === '.' ? ',' : '.'));

/**
 * Parses a listings CSV. csv-parse cannot resume after a broken quote (it swallows the rest of the
 * file), so on such an error the record's first line is reported and parsing restarts on the line
 * after it, with the header already known. The whole text is parsed in one pass otherwise.
 *
 * A file separated by ";" comes from a locale whose decimal mark is the comma (Excel saves CSV so
 * in Spanish): there "5.900" is five thousand nine hundred, and "5.9" is refused, never misread.
 */
export function parseListingsCsv(input: string): ListingsDocument {
  const text = unixNewlines(input);
  const delimiter = sniffDelimiter(text);
  const decimalComma = delimiter === ';';
  const collector = new ListingCollector();
  let header: { names: string[]; fields: Array<ListingField | null> } | null = null;

  const onRecord = (values: string[], line: number) => {
    if (!header) {
      header = readHeader(values, line);
      return;
    }
    // Values arrive trimmed (the trim option), so a blank line is all empty strings.
    if (values.every((v) => v === '')) return;
    if (values.length !== header.names.length) {
      collector.reject(line, `expected ${header.names.length} columns, found ${values.length}`);
      return;
    }
    const fields: Partial<Record<ListingField, unknown>> = {};
    const extra: Record<string, JsonValue> = {};
    for (let i = 0; i < values.length; i++) {
      const field = header.fields[i];
      if (field) fields[field] = decimalComma && NUMERIC_FIELDS.has(field) ? swapSeparators(values[i]) : values[i];
      else if (header.names[i] !== '' && values[i] !== '') extra[header.names[i]] = values[i];
    }
    collector.add(line, normalizeListing(fields, extra));
  };

  let offset = 0; // where the current pass starts in `text`
  let linesBefore = 0; // lines of `text` before `offset`
  let malformed = 0;
  while (offset < text.length) {
    let lastLine = 0; // relative to this pass: the line the last good record ended on
    let lastEmpty = 0;
    try {
      parseCsv(text.slice(offset), {
        delimiter,
        relax_column_count: true,
        skip_empty_lines: true,
        trim: true,
        max_record_size: MAX_RECORD_CHARS,
        on_record: (values: string[], info) => {
          // A record starts after the previous one and the empty lines skipped since.
          const start = linesBefore + lastLine + 1 + (info.empty_lines - lastEmpty);
          lastLine = info.lines;
          lastEmpty = info.empty_lines;
          onRecord(values, start);
          return null;
        },
      });
      break;
    } catch (err) {
      // Anything but a data error (a bug of ours, an option csv-parse refuses) is not the file's fault.
      if (!(err instanceof CsvError) || !(err.code in CSV_PROBLEMS)) throw err;
      const { code } = err;
      // The broken record starts on the first non-empty line after the last good record.
      let line = linesBefore + lastLine + 1;
      let pos = offset;
      for (let i = 0; i < lastLine && pos < text.length; i++) {
        const eol = text.indexOf('\n', pos);
        pos = eol === -1 ? text.length : eol + 1;
      }
      while (text[pos] === '\n') {
        pos++;
        line++;
      }
      const problem = CSV_PROBLEMS[code] ?? code;
      if (!header) throw new DocumentError('corrupt_file', `The CSV header on line ${line} is malformed: ${problem}`);
      collector.reject(line, `malformed row: ${problem}`);
      if (++malformed > MAX_MALFORMED_ROWS) throw new DocumentError('corrupt_file', `More than ${MAX_MALFORMED_ROWS} malformed rows: is this a CSV file?`);
      const next = text.indexOf('\n', pos);
      offset = next === -1 ? text.length : next + 1;
      linesBefore = line;
    }
  }
  if (!header) throw new DocumentError('empty_file', 'The CSV is empty');
  if (collector.totalRows === 0) throw new DocumentError('empty_file', 'The CSV has a header but no rows');
  return collector.result();
}

function readHeader(values: string[], line: number): { names: string[]; fields: Array<ListingField | null> } {
  const names = values.map((v) => v.trim());
  const fields = mapHeaders(names);
  if (!fields.includes('unique_id') && !fields.includes('property_address')) {
    throw new DocumentError(
      'missing_columns',
      `The CSV header (line ${line}) needs a unique_id or a property_address column; found: ${names.join(', ').slice(0, 200)}. Known columns: ${LISTING_FIELDS.join(', ')}`,
    );
  }
  return { names, fields };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// Keys only a listing has: an article or FAQ may well have a title, a type or an id, but not these.
const LISTING_SIGNS = new Set<ListingField>(['property_address', 'floor', 'suite', 'size_sf', 'rent_per_sf_year', 'annual_rent', 'monthly_rent', 'price', 'bedrooms', 'bathrooms', 'listing_type', 'broker_email', 'gci_on_3_years']);
const looksLikeListing = (v: unknown) => isObject(v) && Object.keys(v).some((key) => LISTING_SIGNS.has(listingFieldFor(key) as ListingField));

/**
 * JSON is listings when it is an array of objects (bare, or under `listings`, `properties` or
 * `data`) and some object has a field only a listing has (an address, a size, a price, …).
 * Anything else is text: its string values, in document order, one paragraph each. So an array of
 * FAQ entries is knowledge to search, not a file of rejected listings.
 */
export function parseJsonDocument(text: string): ParsedDocument {
  const value = parseJsonText(text);
  const list = Array.isArray(value) ? value : isObject(value) ? [value.listings, value.properties, value.data].find(Array.isArray) : undefined;
  if (list && list.length === 0) throw new DocumentError('empty_file', 'The JSON holds an empty list');
  if (list?.some(looksLikeListing)) {
    const collector = new ListingCollector();
    list.forEach((item: unknown, i) => {
      if (isObject(item)) collector.add(i + 1, normalizeListingObject(item));
      else collector.reject(i + 1, 'a listing must be an object');
    });
    return collector.result();
  }
  const strings: string[] = [];
  // Depth-first in document order, on a stack of its own rather than the call stack.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      const s = storable(v).trim();
      if (s !== '') strings.push(s);
    } else if (Array.isArray(v) || isObject(v)) {
      const children = Array.isArray(v) ? v : Object.values(v);
      for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
    }
  }
  if (strings.length === 0) throw new DocumentError('no_text', 'The JSON has neither listings nor text');
  return { kind: 'text', text: unixNewlines(strings.join('\n\n')) };
}
