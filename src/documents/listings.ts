import { z } from 'zod';

import { LISTING_TYPES, PROPERTY_STATUSES as LISTING_STATUSES, PROPERTY_TEXT_LIMITS, type ListingType, type PropertyStatus as ListingStatus } from '../contracts/documents';

export { LISTING_STATUSES, LISTING_TYPES, type ListingStatus, type ListingType };

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValueSchema), z.record(z.string(), JsonValueSchema)]));

const figure = z.number().nonnegative().nullable();

/**
 * A listing as the rest of the system stores and searches it, whichever file it came from. Also
 * the check for records that cross a Temporal payload boundary.
 */
export const ListingRecordSchema = z.object({
  /** Natural key for upserts: the file's unique_id, else `address|floor|suite` normalized. */
  externalId: z.string().min(1),
  title: z.string().min(1),
  address: z.string().nullable(),
  floor: z.string().nullable(),
  suite: z.string().nullable(),
  city: z.string().nullable(),
  /** A portal's `neighborhood` or `location`. */
  neighborhood: z.string().nullable(),
  propertyType: z.string().nullable(),
  listingType: z.enum(LISTING_TYPES).nullable(),
  status: z.enum(LISTING_STATUSES),
  sizeSf: figure,
  rentPerSfYear: figure,
  annualRent: figure,
  monthlyRent: figure,
  price: figure,
  bedrooms: z.number().int().nonnegative().nullable(),
  bathrooms: figure,
  brokerEmail: z.email().nullable(),
  gciOn3Years: figure,
  description: z.string().nullable(),
  /** Columns the file had that no field above stands for, under their original names. */
  extra: z.record(z.string(), JsonValueSchema),
});
export type ListingRecord = z.infer<typeof ListingRecordSchema>;

/** The input fields, under seed 000's column names (which the portal's names extend). */
export const LISTING_FIELDS = [
  'unique_id',
  'title',
  'property_address',
  'floor',
  'suite',
  'city',
  'neighborhood',
  'property_type',
  'listing_type',
  'status',
  'size_sf',
  'rent_per_sf_year',
  'annual_rent',
  'monthly_rent',
  'price',
  'bedrooms',
  'bathrooms',
  'broker_email',
  'gci_on_3_years',
  'description',
] as const;
export type ListingField = (typeof LISTING_FIELDS)[number];

/** The fields read as amounts, where a file's number style matters. */
export const NUMERIC_FIELDS: ReadonlySet<ListingField> = new Set(['size_sf', 'rent_per_sf_year', 'annual_rent', 'monthly_rent', 'price', 'bedrooms', 'bathrooms', 'gci_on_3_years']);

const ALIASES: Record<ListingField, string[]> = {
  unique_id: ['id', 'listing_id', 'external_id', 'property_id'],
  title: ['name', 'listing_title', 'headline'],
  property_address: ['address', 'street_address', 'direccion'],
  floor: ['level', 'piso'],
  suite: ['unit', 'suite_number'],
  city: ['town', 'ciudad'],
  neighborhood: ['location', 'neighbourhood', 'barrio', 'comuna'],
  property_type: ['type', 'category', 'tipo'],
  listing_type: ['operation', 'operacion', 'transaction_type', 'deal_type'],
  status: ['availability', 'estado'],
  size_sf: ['sqft', 'size', 'sq_ft', 'square_feet', 'size_sqft', 'sf'],
  rent_per_sf_year: ['rent_per_sf', 'rent_psf', 'rent_sf_year'],
  annual_rent: ['yearly_rent', 'rent_annual'],
  monthly_rent: ['rent_monthly'],
  price: ['sale_price', 'asking_price', 'list_price', 'precio'],
  bedrooms: ['beds', 'bedroom', 'dormitorios'],
  bathrooms: ['baths', 'bathroom', 'banos'],
  broker_email: ['email', 'agent_email', 'broker'],
  gci_on_3_years: ['gci', 'gci_3_years'],
  description: ['desc', 'details', 'descripcion'],
};

/** Case, accents, spaces, underscores and hyphens do not matter in a header. */
const headerKey = (header: string) =>
  header
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, '');

const FIELD_BY_KEY = new Map<string, ListingField>(LISTING_FIELDS.flatMap((field) => [field, ...ALIASES[field]].map((name) => [headerKey(name), field] as const)));

/** The listing field a column header stands for, or null for a column kept in `extra`. */
export function listingFieldFor(header: string): ListingField | null {
  return FIELD_BY_KEY.get(headerKey(header)) ?? null;
}

/**
 * For each header, the field it fills (null: kept in `extra`). When two columns stand for the same
 * field (`location` and `neighborhood`), the first one wins and the other is kept in `extra`.
 */
export function mapHeaders(headers: readonly string[]): Array<ListingField | null> {
  const taken = new Set<ListingField>();
  return headers.map((header) => {
    const field = listingFieldFor(header);
    if (!field || taken.has(field)) return null;
    taken.add(field);
    return field;
  });
}

// Field coercions. Values come as strings from a CSV and as any JSON value from a JSON file. Plain
// functions rather than a zod schema: they run once per field of up to 100,000 rows, and a refusal
// is data (the message for that field), not an exception.

/** A field value that cannot be used, and why. */
class Refusal {
  constructor(readonly reason: string) {}
}
type Coerce<T> = (v: unknown) => T | null | Refusal;

// Tests before rewriting: most cells are already clean, and 100,000 rows of copies cost GC time.
const isBlankValue = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && !/\S/.test(v));
const collapse = (s: string) => (/^\s|\s$|\s\s|[^\S ]/.test(s) ? s.trim().replace(/\s+/g, ' ') : s);
// Messages quoting a value are stored too (jsonb): no NUL, no half of a surrogate pair.
const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s).toWellFormed().replaceAll('\0', '\ufffd');
const shown = (v: unknown) => (typeof v === 'string' ? `"${clip(v)}"` : typeof v === 'number' ? String(v) : JSON.stringify(v));

const text: Coerce<string> = (v) => {
  if (isBlankValue(v)) return null;
  if (typeof v === 'string') return collapse(v);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return new Refusal('must be text');
};

/** Long text keeps its line breaks: descriptions are embedded and shown as written. */
const longText: Coerce<string> = (v) => {
  if (isBlankValue(v)) return null;
  if (typeof v === 'string') return v.trim().replace(/[ \t]+/g, ' ').replace(/\r\n?/g, '\n');
  return new Refusal('must be text');
};

// "1,200", "1200.5", "$50.00", "US$ 8,333.33". A comma only ever groups thousands: "1,5" is refused
// rather than guessed at.
const NUMBER = /^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$/;
const CURRENCY = /^(?:US\$|\$|€|£)\s*|\s*(?:USD|EUR)$/gi;

/** Parses a non-negative amount as people write it in spreadsheets; null when it is not one. */
export function parseAmount(raw: string): number | null {
  const s = raw.trim().replace(CURRENCY, '');
  if (s === '' || s === '.' || !NUMBER.test(s)) return null;
  return Number(s.replace(/,/g, ''));
}

/** Postgres `integer`, the bedrooms column. */
const INT4_MAX = 2_147_483_647;
/** The search index maps bathrooms as a 32-bit float, which turns anything larger into Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

// Amounts go to `double precision` columns: any finite number fits, but a 400-digit cell parses to
// Infinity, which the index refuses.
const amount =
  ({ integer = false, max = Number.MAX_VALUE } = {}): Coerce<number> =>
  (v) => {
    if (isBlankValue(v)) return null;
    let n: number | null = null;
    if (typeof v === 'number') n = Number.isNaN(v) ? null : v;
    else if (typeof v === 'string') {
      if (/^\s*-/.test(v) && parseAmount(v.replace('-', '')) !== null) return new Refusal(`must not be negative (got ${shown(v)})`);
      n = parseAmount(v);
    }
    if (n === null) return new Refusal(`must be a number (got ${shown(v)})`);
    if (n < 0) return new Refusal(`must not be negative (got ${n})`);
    if (!Number.isFinite(n)) return new Refusal(`is too large (got ${shown(v)})`);
    if (n > max) return new Refusal(`must be at most ${max} (got ${shown(v)})`);
    if (integer && !Number.isInteger(n)) return new Refusal(`must be a whole number (got ${n})`);
    return n;
  };

const email: Coerce<string> = (v) => {
  const t = text(v);
  if (t === null || t instanceof Refusal) return t;
  const lower = t.toLowerCase();
  // The same pattern as ListingRecordSchema's z.email(), without a schema call per row.
  return z.regexes.email.test(lower) ? lower : new Refusal(`must be an email address (got ${shown(t)})`);
};

const choice =
  <T extends string>(allowed: readonly T[], aliases: Record<string, T>): Coerce<T> =>
  (v) => {
    const t = text(v);
    if (t === null || t instanceof Refusal) return t;
    const key = t
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[\s-]+/g, '_');
    const found = (allowed as readonly string[]).includes(key) ? (key as T) : aliases[key];
    return found ?? new Refusal(`must be one of ${allowed.join(', ')} (got ${shown(t)})`);
  };

const STATUS_ALIASES: Record<string, ListingStatus> = {
  active: 'available',
  disponible: 'available',
  pending: 'under_offer',
  reservado: 'under_offer',
  reservada: 'under_offer',
  leased: 'rented',
  let: 'rented',
  arrendado: 'rented',
  arrendada: 'rented',
  alquilado: 'rented',
  alquilada: 'rented',
  vendido: 'sold',
  vendida: 'sold',
  withdrawn: 'off_market',
  inactive: 'off_market',
};
const LISTING_TYPE_ALIASES: Record<string, ListingType> = {
  sell: 'sale',
  for_sale: 'sale',
  venta: 'sale',
  lease: 'rent',
  rental: 'rent',
  for_rent: 'rent',
  for_lease: 'rent',
  let: 'rent',
  arriendo: 'rent',
  alquiler: 'rent',
  renta: 'rent',
};

/** One listing's fields after coercion, under seed 000's names. */
export interface ListingInput {
  unique_id: string | null;
  title: string | null;
  property_address: string | null;
  floor: string | null;
  suite: string | null;
  city: string | null;
  neighborhood: string | null;
  property_type: string | null;
  listing_type: ListingType | null;
  status: ListingStatus | null;
  size_sf: number | null;
  rent_per_sf_year: number | null;
  annual_rent: number | null;
  monthly_rent: number | null;
  price: number | null;
  bedrooms: number | null;
  bathrooms: number | null;
  broker_email: string | null;
  gci_on_3_years: number | null;
  description: string | null;
}

const lowerText: Coerce<string> = (v) => {
  const t = text(v);
  return typeof t === 'string' ? t.toLowerCase() : t;
};

const COERCE: { [F in ListingField]: Coerce<NonNullable<ListingInput[F]>> } = {
  unique_id: text,
  title: text,
  property_address: text,
  floor: text,
  suite: text,
  city: text,
  neighborhood: text,
  property_type: lowerText,
  listing_type: choice(LISTING_TYPES, LISTING_TYPE_ALIASES),
  status: choice(LISTING_STATUSES, STATUS_ALIASES),
  size_sf: amount(),
  rent_per_sf_year: amount(),
  annual_rent: amount(),
  monthly_rent: amount(),
  price: amount(),
  bedrooms: amount({ integer: true, max: INT4_MAX }),
  bathrooms: amount({ max: FLOAT32_MAX }),
  broker_email: email,
  gci_on_3_years: amount(),
  description: longText,
};

const LIMITS = PROPERTY_TEXT_LIMITS;
/** The varchar limit of each text field's column (description is `text`). */
const MAX_CHARS: Partial<Record<ListingField, number>> = {
  unique_id: LIMITS.externalId,
  title: LIMITS.title,
  property_address: LIMITS.address,
  floor: LIMITS.floor,
  suite: LIMITS.suite,
  city: LIMITS.city,
  neighborhood: LIMITS.neighborhood,
  property_type: LIMITS.propertyType,
  broker_email: LIMITS.brokerEmail,
};

/** Characters as Postgres counts them (code points), for a string without lone surrogates. */
const charCount = (s: string) => s.length - (s.match(/[\udc00-\udfff]/g)?.length ?? 0);

/**
 * Why Postgres would refuse a string, if it would: text and jsonb take no NUL, jsonb no lone
 * surrogate (a text column would quietly store U+FFFD instead), varchar(n) nothing longer than n.
 */
function unstorable(s: string, max?: number): Refusal | null {
  if (s.includes('\0')) return new Refusal('must not contain NUL characters');
  if (!s.isWellFormed()) return new Refusal('contains invalid Unicode (an unpaired surrogate)');
  if (max !== undefined && s.length > max) {
    const n = charCount(s);
    if (n > max) return new Refusal(`must be at most ${max} characters (got ${n})`);
  }
  return null;
}

/** Unknown columns go to a jsonb column: each name and every string inside its value must fit. */
function extraErrors(extra: Record<string, JsonValue>): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(extra)) {
    // Iterative, so no depth of nesting can overflow the stack.
    const pending: JsonValue[] = [key, value];
    let refusal: Refusal | null = null;
    while (pending.length > 0 && !refusal) {
      const v = pending.pop()!;
      if (typeof v === 'string') refusal = unstorable(v);
      else if (Array.isArray(v)) for (const item of v) pending.push(item);
      else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) pending.push(k, item);
    }
    if (refusal) errors.push({ field: clip(key), message: `${clip(key)} ${refusal.reason}` });
  }
  return errors;
}

/** Coerces every field, so that all the bad fields of a row are reported at once. */
function coerceFields(fields: Partial<Record<ListingField, unknown>>): { input: ListingInput } | { errors: FieldError[] } {
  const input: Partial<Record<ListingField, unknown>> = {};
  const errors: FieldError[] = [];
  for (const field of LISTING_FIELDS) {
    if (fields[field] === undefined) {
      input[field] = null;
      continue;
    }
    const value = COERCE[field](fields[field]);
    const refusal = value instanceof Refusal ? value : typeof value === 'string' ? unstorable(value, MAX_CHARS[field]) : null;
    if (refusal) errors.push({ field, message: `${field} ${refusal.reason}` });
    else input[field] = value;
  }
  return errors.length ? { errors } : { input: input as ListingInput };
}

export interface FieldError {
  field?: string;
  message: string;
}
export type NormalizeResult = { ok: true; record: ListingRecord } | { ok: false; errors: FieldError[] };

const cents = (n: number) => Math.round((n + Number.EPSILON) * 100) / 100;
const money = (n: number) => String(cents(n));
/** How far a stated rent may be from the computed one: rounding, never a different figure. */
const agrees = (given: number, expected: number) => Math.abs(given - expected) <= Math.max(1, 0.005 * Math.abs(expected));
const keyPart = (s: string | null) => (s ?? '').toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * Turns one row (keyed by listing field, as mapHeaders assigns them) into a ListingRecord, or says
 * which fields are wrong. Rent figures must agree with each other: a sheet whose monthly rent does
 * not follow from size × rate has a typo somewhere, and guessing which figure is right would
 * publish a wrong price.
 */
export function normalizeListing(fields: Partial<Record<ListingField, unknown>>, extra: Record<string, JsonValue> = {}): NormalizeResult {
  const coerced = coerceFields(fields);
  const badExtra = extraErrors(extra);
  if ('errors' in coerced) return { ok: false, errors: [...coerced.errors, ...badExtra] };
  const { input } = coerced;
  const errors: FieldError[] = badExtra;

  const externalId = input.unique_id ?? (input.property_address ? [input.property_address, input.floor, input.suite].map(keyPart).join('|') : null);
  if (!externalId) errors.push({ field: 'unique_id', message: 'unique_id or property_address is required' });
  else if (externalId.length > LIMITS.externalId && charCount(externalId) > LIMITS.externalId) {
    // Only a derived key can be too long: unique_id itself was held to the limit.
    errors.push({
      field: 'property_address',
      message: `property_address, floor and suite make a key of ${charCount(externalId)} characters, over the ${LIMITS.externalId} allowed; give the listing a unique_id`,
    });
  }

  const { size_sf: size, rent_per_sf_year: rate, annual_rent: annual, monthly_rent: monthly } = input;
  const computedAnnual = size !== null && rate !== null ? size * rate : null;
  if (computedAnnual !== null && annual !== null && !agrees(annual, computedAnnual)) {
    errors.push({ field: 'annual_rent', message: `annual_rent ${annual} does not match size_sf × rent_per_sf_year = ${money(computedAnnual)}` });
  }
  // Monthly rent is checked against the most trustworthy annual figure: size × rate when known.
  const basisAnnual = computedAnnual ?? annual;
  if (monthly !== null && basisAnnual !== null && !agrees(monthly, basisAnnual / 12)) {
    errors.push({ field: 'monthly_rent', message: `monthly_rent ${monthly} does not match annual rent / 12 = ${money(basisAnnual / 12)}` });
  }
  if (errors.length > 0 || !externalId) return { ok: false, errors };

  const annualRent = annual ?? (computedAnnual !== null ? cents(computedAnnual) : monthly !== null ? cents(monthly * 12) : null);
  const monthlyRent = monthly ?? (annualRent !== null ? cents(annualRent / 12) : null);
  const rentFigures = rate !== null || annualRent !== null;

  const record: ListingRecord = {
    externalId,
    title: input.title ?? fit(deriveTitle(input, externalId), LIMITS.title),
    address: input.property_address,
    floor: input.floor,
    suite: input.suite,
    city: input.city,
    neighborhood: input.neighborhood,
    propertyType: input.property_type,
    // Seed 000's rows state only rents: they are leases.
    listingType: input.listing_type ?? (rentFigures ? 'rent' : null),
    status: input.status ?? 'available',
    sizeSf: size,
    rentPerSfYear: rate,
    annualRent,
    monthlyRent,
    price: input.price,
    bedrooms: input.bedrooms,
    bathrooms: input.bathrooms,
    brokerEmail: input.broker_email,
    gciOn3Years: input.gci_on_3_years,
    description: input.description,
    extra,
  };
  return { ok: true, record };
}

/** A derived title cut to its column at a character boundary, marked as cut. */
function fit(s: string, max: number): string {
  if (s.length <= max || charCount(s) <= max) return s;
  return `${[...s].slice(0, max - 1).join('').trimEnd()}…`;
}

function deriveTitle(input: ListingInput, externalId: string): string {
  const type = input.property_type ? input.property_type[0].toUpperCase() + input.property_type.slice(1) : null;
  const place = [input.property_address, input.suite ? `Suite ${input.suite}` : null].filter(Boolean).join(', ');
  if (place) return type ? `${type} – ${place}` : place;
  return [type, input.neighborhood, input.city].filter(Boolean).join(', ') || `Listing ${externalId}`;
}

/**
 * Normalizes one listing object keyed by any accepted header spelling (a JSON file's objects);
 * CSV rows go through mapHeaders once per file instead.
 */
export function normalizeListingObject(raw: Record<string, unknown>): NormalizeResult {
  const keys = Object.keys(raw);
  const fields: Partial<Record<ListingField, unknown>> = {};
  const extra: Record<string, JsonValue> = {};
  mapHeaders(keys).forEach((field, i) => {
    const value = raw[keys[i]];
    if (field) fields[field] = value;
    else if (!isBlankValue(value)) extra[keys[i]] = value as JsonValue;
  });
  return normalizeListing(fields, extra);
}

const num = (n: number | null, unit = '') => (n === null ? null : `${n}${unit}`);

/**
 * The text that stands for a listing in the search index and the embedding: what a person would
 * ask about (type, place, size, money), in plain numbers so "2000 sf" matches a query for 2000.
 */
export function listingText(record: ListingRecord): string {
  const place = [
    record.address,
    record.floor ? `Floor ${record.floor}` : null,
    record.suite ? `Suite ${record.suite}` : null,
    record.neighborhood,
    record.city,
  ].filter(Boolean);
  const rent = [num(record.rentPerSfYear, ' per sf/year'), num(record.annualRent, ' per year'), num(record.monthlyRent, ' per month')].filter(Boolean);
  const lines = [
    record.title,
    [record.propertyType, record.listingType === 'sale' ? 'for sale' : record.listingType === 'rent' ? 'for rent' : null, record.status.replace('_', ' ')].filter(Boolean).join(', '),
    place.length ? `Location: ${place.join(', ')}` : null,
    record.sizeSf !== null ? `Size: ${record.sizeSf} sf` : null,
    rent.length ? `Rent: ${rent.join('; ')}` : null,
    record.price !== null ? `Price: ${record.price}` : null,
    record.bedrooms !== null || record.bathrooms !== null ? [num(record.bedrooms, ' bedrooms'), num(record.bathrooms, ' bathrooms')].filter(Boolean).join(', ') : null,
    record.description,
  ];
  return lines.filter((l): l is string => Boolean(l)).join('\n');
}
