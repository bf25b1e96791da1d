import { ListingRecordSchema, listingFieldFor, listingText, normalizeListing, normalizeListingObject, parseAmount, type ListingRecord, type NormalizeResult } from '../../../src/documents';
import { mapHeaders } from '../../../src/documents/listings';

const record = (result: NormalizeResult): ListingRecord => {
  if (!result.ok) throw new Error(`expected a record, got ${JSON.stringify(result.errors)}`);
  expect(ListingRecordSchema.parse(result.record)).toEqual(result.record);
  return result.record;
};
const errors = (result: NormalizeResult) => (result.ok ? [] : result.errors);

const SEED_ROW = {
  unique_id: 1,
  property_address: '123 Main St',
  floor: '5',
  suite: '501',
  size_sf: 2000,
  rent_per_sf_year: 50.0,
  broker_email: 'broker1@example.com',
  annual_rent: 100000,
  monthly_rent: 8333.33,
  gci_on_3_years: 25000,
};

describe('header matching', () => {
  it.each([
    ['unique_id', 'unique_id'],
    ['Unique ID', 'unique_id'],
    ['UNIQUE-ID', 'unique_id'],
    ['id', 'unique_id'],
    ['Property Address', 'property_address'],
    ['address', 'property_address'],
    ['Dirección', 'property_address'],
    ['sqft', 'size_sf'],
    ['Size', 'size_sf'],
    ['size_sf', 'size_sf'],
    ['Rent per SF / Year', null],
    ['rent-per-sf-year', 'rent_per_sf_year'],
    ['type', 'property_type'],
    ['Property Type', 'property_type'],
    ['location', 'neighborhood'],
    ['Neighborhood', 'neighborhood'],
    ['GCI on 3 Years', 'gci_on_3_years'],
    ['parking', null],
  ])('%j → %j', (header, field) => {
    expect(listingFieldFor(header)).toBe(field);
  });

  it('gives a field to its first column only', () => {
    expect(mapHeaders(['location', 'Neighborhood', 'id', 'unique_id'])).toEqual(['neighborhood', null, 'unique_id', null]);
  });
});

describe('parseAmount', () => {
  it.each([
    ['1200', 1200],
    ['1,200', 1200],
    ['1,234,567.89', 1234567.89],
    ['$50.00', 50],
    ['US$ 8,333.33', 8333.33],
    ['€ 12', 12],
    ['.5', 0.5],
    ['  42  ', 42],
    ['0', 0],
  ])('%j → %d', (raw, n) => {
    expect(parseAmount(raw)).toBe(n);
  });

  it.each(['', 'abc', 'NaN', 'Infinity', '1,5', '12,34', '1.2.3', '1e5', '$', '.', '5 UF', '-5'])('%j is not an amount', (raw) => {
    expect(parseAmount(raw)).toBeNull();
  });
});

describe('normalizeListingObject', () => {
  it('turns a seed 000 row into a record', () => {
    expect(record(normalizeListingObject(SEED_ROW))).toEqual({
      externalId: '1',
      title: '123 Main St, Suite 501',
      address: '123 Main St',
      floor: '5',
      suite: '501',
      city: null,
      neighborhood: null,
      propertyType: null,
      listingType: 'rent',
      status: 'available',
      sizeSf: 2000,
      rentPerSfYear: 50,
      annualRent: 100000,
      monthlyRent: 8333.33,
      price: null,
      bedrooms: null,
      bathrooms: null,
      brokerEmail: 'broker1@example.com',
      gciOn3Years: 25000,
      description: null,
      extra: {},
    });
  });

  it('accepts any spelling of the headers and spreadsheet-style numbers', () => {
    const result = record(
      normalizeListingObject({ 'Unique ID': ' 7 ', 'Property-Address': '  12  Main   St ', SQFT: '1,200', 'Rent Per SF Year': '$50.00', Email: ' Ana@Example.COM ', Parking: '2', Notes: '' }),
    );
    expect(result).toMatchObject({ externalId: '7', address: '12 Main St', sizeSf: 1200, rentPerSfYear: 50, annualRent: 60000, monthlyRent: 5000, brokerEmail: 'ana@example.com', extra: { Parking: '2' } });
  });

  it('computes missing rents to the cent', () => {
    const result = record(normalizeListingObject({ ...SEED_ROW, size_sf: 950, rent_per_sf_year: 61.25, annual_rent: null, monthly_rent: '' }));
    expect(result).toMatchObject({ annualRent: 58187.5, monthlyRent: 4848.96 });
    expect(record(normalizeListingObject({ unique_id: 'x', monthly_rent: '1,000.50' }))).toMatchObject({ annualRent: 12006, monthlyRent: 1000.5, rentPerSfYear: null });
    expect(record(normalizeListingObject({ unique_id: 'x', annual_rent: 1000 }))).toMatchObject({ annualRent: 1000, monthlyRent: 83.33 });
  });

  it('keeps stated rents that agree within max(1, 0.5%)', () => {
    expect(record(normalizeListingObject({ ...SEED_ROW, annual_rent: 100499 }))).toMatchObject({ annualRent: 100499, monthlyRent: 8333.33 });
    expect(record(normalizeListingObject({ ...SEED_ROW, monthly_rent: 8333 }))).toMatchObject({ monthlyRent: 8333 });
    expect(record(normalizeListingObject({ unique_id: 's', size_sf: 10, rent_per_sf_year: 1, annual_rent: 10.99 }))).toMatchObject({ annualRent: 10.99 });
  });

  it('rejects rents that disagree, naming the field', () => {
    expect(errors(normalizeListingObject({ ...SEED_ROW, annual_rent: 100501 }))).toEqual([
      { field: 'annual_rent', message: 'annual_rent 100501 does not match size_sf × rent_per_sf_year = 100000' },
    ]);
    expect(errors(normalizeListingObject({ ...SEED_ROW, monthly_rent: 9000 }))).toEqual([
      { field: 'monthly_rent', message: 'monthly_rent 9000 does not match annual rent / 12 = 8333.33' },
    ]);
    expect(errors(normalizeListingObject({ unique_id: 's', size_sf: 10, rent_per_sf_year: 1, annual_rent: 11.01 }))).toEqual([expect.objectContaining({ field: 'annual_rent' })]);
    // Without size × rate, the monthly rent must still follow from the annual one.
    expect(errors(normalizeListingObject({ unique_id: 'x', annual_rent: 12000, monthly_rent: 1200 }))).toEqual([
      { field: 'monthly_rent', message: 'monthly_rent 1200 does not match annual rent / 12 = 1000' },
    ]);
    // Both wrong: each is named, the monthly one measured against size × rate.
    expect(errors(normalizeListingObject({ ...SEED_ROW, annual_rent: 1, monthly_rent: 1 })).map((e) => e.field)).toEqual(['annual_rent', 'monthly_rent']);
  });

  it('rejects bad values with every field named', () => {
    expect(errors(normalizeListingObject({ ...SEED_ROW, size_sf: '-5', rent_per_sf_year: 'NaN', broker_email: 'not-an-email', bedrooms: '2.5', status: 'gone', listing_type: 'swap' }))).toEqual([
      { field: 'listing_type', message: 'listing_type must be one of sale, rent (got "swap")' },
      { field: 'status', message: 'status must be one of available, under_offer, sold, rented, off_market (got "gone")' },
      { field: 'size_sf', message: 'size_sf must not be negative (got "-5")' },
      { field: 'rent_per_sf_year', message: 'rent_per_sf_year must be a number (got "NaN")' },
      { field: 'bedrooms', message: 'bedrooms must be a whole number (got 2.5)' },
      { field: 'broker_email', message: 'broker_email must be an email address (got "not-an-email")' },
    ]);
    expect(errors(normalizeListingObject({ unique_id: 'x', price: -1 }))).toEqual([{ field: 'price', message: 'price must not be negative (got -1)' }]);
    expect(errors(normalizeListingObject({ unique_id: 'x', price: Number.NaN }))).toEqual([{ field: 'price', message: 'price must be a number (got NaN)' }]);
    expect(errors(normalizeListingObject({ unique_id: 'x', title: { es: 'Casa' } }))).toEqual([{ field: 'title', message: 'title must be text' }]);
  });

  it('refuses values their Postgres columns cannot hold, naming the field', () => {
    expect(errors(normalizeListingObject({ unique_id: 'x', city: 'a'.repeat(121), floor: 'f'.repeat(51) }))).toEqual([
      { field: 'floor', message: 'floor must be at most 50 characters (got 51)' },
      { field: 'city', message: 'city must be at most 120 characters (got 121)' },
    ]);
    expect(errors(normalizeListingObject({ unique_id: 'u'.repeat(301) }))).toEqual([{ field: 'unique_id', message: 'unique_id must be at most 300 characters (got 301)' }]);
    // Postgres counts characters, not UTF-16 units: 120 emoji fit varchar(120).
    expect(record(normalizeListingObject({ unique_id: 'x', city: '🏠'.repeat(120) })).city).toHaveLength(240);

    expect(errors(normalizeListingObject({ unique_id: 'x', bedrooms: 2147483648 }))).toEqual([{ field: 'bedrooms', message: 'bedrooms must be at most 2147483647 (got 2147483648)' }]);
    expect(record(normalizeListingObject({ unique_id: 'x', bedrooms: '2,147,483,647' })).bedrooms).toBe(2147483647);
    expect(errors(normalizeListingObject({ unique_id: 'x', price: '9'.repeat(400), size_sf: Infinity, bathrooms: 1e39 }))).toEqual([
      { field: 'size_sf', message: 'size_sf is too large (got Infinity)' },
      { field: 'price', message: `price is too large (got "${'9'.repeat(40)}…")` },
      { field: 'bathrooms', message: 'bathrooms must be at most 3.4028234663852886e+38 (got 1e+39)' },
    ]);
  });

  it('refuses NUL characters and unpaired surrogates anywhere Postgres would, without quoting them back', () => {
    expect(errors(normalizeListingObject({ unique_id: 'x', title: 'Casa\u0000', description: 'broken \ud83d pair', notes: { inner: ['ok', 'a\u0000b'] }, fine: 'ok' }))).toEqual([
      { field: 'title', message: 'title must not contain NUL characters' },
      { field: 'description', message: 'description contains invalid Unicode (an unpaired surrogate)' },
      { field: 'notes', message: 'notes must not contain NUL characters' },
    ]);
    expect(errors(normalizeListingObject({ unique_id: 'x', ['col\u0000']: 'v' }))).toEqual([{ field: 'col\ufffd', message: 'col\ufffd must not contain NUL characters' }]);
    const [status] = errors(normalizeListingObject({ unique_id: 'x', status: 'gone\u0000\udc00' }));
    expect(status.message).toBe('status must be one of available, under_offer, sold, rented, off_market (got "gone\ufffd\ufffd")');
    // A well-formed pair cut at the 40-character clip is not left half in the message.
    const [price] = errors(normalizeListingObject({ unique_id: 'x', price: `${'x'.repeat(39)}🏠` }));
    expect(price.message.isWellFormed()).toBe(true);
  });

  it('refuses a derived key longer than its column, and shortens a derived title to fit', () => {
    const address = `${'Avenida Libertador Bernardo O’Higgins '.repeat(8).slice(0, 296)} 100`;
    expect(address).toHaveLength(300);
    expect(errors(normalizeListingObject({ property_address: address, suite: '12B' }))).toEqual([
      { field: 'property_address', message: 'property_address, floor and suite make a key of 305 characters, over the 300 allowed; give the listing a unique_id' },
    ]);
    const titled = record(normalizeListingObject({ unique_id: 'k', property_address: address, suite: '12B', type: 'office' }));
    expect([...titled.title]).toHaveLength(300);
    expect(titled.title).toMatch(/^Office – Avenida Libertador.*…$/);
  });

  it('keys a listing by unique_id, else by its normalized address, floor and suite', () => {
    expect(record(normalizeListingObject({ property_address: '  12  Main ST ', floor: ' 3', suite: 'B ' })).externalId).toBe('12 main st|3|b');
    expect(record(normalizeListingObject({ address: 'Av. Providencia 1234' })).externalId).toBe('av. providencia 1234||');
    expect(record(normalizeListingObject({ id: 42, address: 'x' })).externalId).toBe('42');
    expect(errors(normalizeListingObject({ floor: '3', suite: 'B', size_sf: 100 }))).toEqual([{ field: 'unique_id', message: 'unique_id or property_address is required' }]);
    expect(errors(normalizeListingObject({ unique_id: '  ', property_address: '' }))).toEqual([{ field: 'unique_id', message: 'unique_id or property_address is required' }]);
  });

  it('normalizes status and listing type, and defaults the status to available', () => {
    expect(record(normalizeListingObject({ id: 'a', status: 'Under Offer', listing_type: 'For Sale' }))).toMatchObject({ status: 'under_offer', listingType: 'sale' });
    expect(record(normalizeListingObject({ id: 'a', status: 'off-market', listing_type: 'Arriendo' }))).toMatchObject({ status: 'off_market', listingType: 'rent' });
    expect(record(normalizeListingObject({ id: 'a', status: 'Vendida' }))).toMatchObject({ status: 'sold', listingType: null });
    expect(record(normalizeListingObject({ id: 'a' }))).toMatchObject({ status: 'available' });
  });

  it('derives a title when there is none', () => {
    expect(record(normalizeListingObject({ address: '12 Main St', suite: 'B', type: 'Office' })).title).toBe('Office – 12 Main St, Suite B');
    expect(record(normalizeListingObject({ address: '12 Main St' })).title).toBe('12 Main St');
    expect(record(normalizeListingObject({ id: 'P-1', type: 'apartment', location: 'Ñuñoa', city: 'Santiago' })).title).toBe('Apartment, Ñuñoa, Santiago');
    expect(record(normalizeListingObject({ id: 'P-1' })).title).toBe('Listing P-1');
    expect(record(normalizeListingObject({ id: 'P-1', title: '  Casa   con jardín ' })).title).toBe('Casa con jardín');
  });

  it('keeps line breaks in descriptions and unknown columns in extra', () => {
    const result = record(normalizeListingObject({ id: 'a', description: ' Piso alto.\r\nVista   despejada. ', amenities: ['piscina', 'gimnasio'], parking: 0, empty: null }));
    expect(result.description).toBe('Piso alto.\nVista despejada.');
    expect(result.extra).toEqual({ amenities: ['piscina', 'gimnasio'], parking: 0 });
  });
});

describe('normalizeListing', () => {
  it('takes fields already mapped (as the CSV reader passes them) plus extra columns', () => {
    expect(record(normalizeListing({ unique_id: '9', price: '$1,000' }, { Comuna: 'Ñuñoa' }))).toMatchObject({ externalId: '9', price: 1000, extra: { Comuna: 'Ñuñoa' } });
  });
});

describe('listingText', () => {
  it('states what a person would search for, in plain numbers', () => {
    expect(listingText(record(normalizeListingObject({ ...SEED_ROW, city: 'Santiago', type: 'office', description: 'Oficina con vista al cerro.' })))).toBe(
      [
        'Office – 123 Main St, Suite 501',
        'office, for rent, available',
        'Location: 123 Main St, Floor 5, Suite 501, Santiago',
        'Size: 2000 sf',
        'Rent: 50 per sf/year; 100000 per year; 8333.33 per month',
        'Oficina con vista al cerro.',
      ].join('\n'),
    );
    expect(listingText(record(normalizeListingObject({ id: 'P-1', title: 'Casa en Ñuñoa', listing_type: 'venta', price: 320000, bedrooms: 4, bathrooms: 3.5, status: 'under offer', location: 'Ñuñoa' })))).toBe(
      ['Casa en Ñuñoa', 'for sale, under offer', 'Location: Ñuñoa', 'Price: 320000', '4 bedrooms, 3.5 bathrooms'].join('\n'),
    );
  });
});
