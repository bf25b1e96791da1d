/** Generated listings files in seed 000's schema, for tests and benchmarks. */

export const LISTING_HEADER = 'unique_id,property_address,floor,suite,size_sf,rent_per_sf_year,broker_email,annual_rent,monthly_rent,gci_on_3_years,city,property_type,description';

const CITIES = ['Austin', 'Denver', 'Santiago', 'Madrid', 'Boston', 'Seattle'];
const TYPES = ['office', 'retail', 'warehouse', 'apartment'];

/** Row i of a generated file: consistent rents, a stable id, a little text to search. */
export function listingRow(i: number, idPrefix = 'L'): string {
  const size = 500 + ((i * 37) % 9500);
  const rate = 20 + ((i * 13) % 60);
  const annual = size * rate;
  const monthly = Math.round((annual / 12) * 100) / 100;
  const city = CITIES[i % CITIES.length]!;
  const type = TYPES[i % TYPES.length]!;
  return `${idPrefix}${i},${100 + i} Main St,${1 + (i % 40)},${100 + (i % 900)},${size},${rate},broker${i % 50}@example.com,${annual},${monthly},${Math.round(annual * 0.09)},${city},${type},Bright ${type} in ${city} with parking`;
}

export function listingsCsv(rows: number, idPrefix = 'L'): string {
  const lines = [LISTING_HEADER];
  for (let i = 1; i <= rows; i++) lines.push(listingRow(i, idPrefix));
  return `${lines.join('\n')}\n`;
}
