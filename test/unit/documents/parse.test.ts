import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { DocumentError, parseDocument, type DocumentErrorCode, type DocumentType, type ListingsDocument, type ParsedDocument, type TextDocument } from '../../../src/documents';
import { DOCX_PARAGRAPHS, PDF_PAGES } from '../../fixtures/documents/generate';
import { buildDocx, buildPdf, SEED_HEADER } from '../../support/documents';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'documents');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

function listings(doc: ParsedDocument): ListingsDocument {
  if (doc.kind !== 'listings') throw new Error(`expected listings, got ${doc.kind}`);
  return doc;
}
function text(doc: ParsedDocument): TextDocument {
  if (doc.kind !== 'text') throw new Error(`expected text, got ${doc.kind}`);
  return doc;
}
const parseCsv = async (csv: string) => listings(await parseDocument('csv', Buffer.from(csv)));

async function failure(type: DocumentType, bytes: Uint8Array, options?: { timeoutMs?: number }): Promise<{ code: DocumentErrorCode; message: string }> {
  try {
    await parseDocument(type, bytes, options);
  } catch (err) {
    if (err instanceof DocumentError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a DocumentError');
}

const rentRecord = { city: null, neighborhood: null, propertyType: null, listingType: 'rent', status: 'available', price: null, bedrooms: null, bathrooms: null, description: null, extra: {} };

describe('CSV listings', () => {
  it('reads seed 000 rows into records, computing missing rents', async () => {
    const doc = await parseCsv(fixture('listings.csv').toString());
    expect(doc.errors).toEqual([]);
    expect(doc.totalRows).toBe(5);
    expect(doc.rows.map((r) => r.row)).toEqual([2, 3, 4, 5, 6]);
    expect(doc.rows[0].record).toEqual({
      ...rentRecord,
      externalId: '1',
      title: '123 Main St, Suite 501',
      address: '123 Main St',
      floor: '5',
      suite: '501',
      sizeSf: 2000,
      rentPerSfYear: 50,
      annualRent: 100000,
      monthlyRent: 8333.33,
      brokerEmail: 'broker1@example.com',
      gciOn3Years: 25000,
    });
    expect(doc.rows[1].record).toMatchObject({ externalId: '2', sizeSf: 1500, rentPerSfYear: 42.5, brokerEmail: 'broker2@example.com' });
    expect(doc.rows[2].record).toMatchObject({ externalId: '3', annualRent: 121600, monthlyRent: 10133.33 });
    expect(doc.rows[3].record).toMatchObject({ externalId: '4', suite: null, title: '1 Market Street', annualRent: 58187.5, monthlyRent: 4848.96 });
    expect(doc.rows[4].record).toMatchObject({ externalId: '5', address: 'Av. Providencia 1234, Piso 7', brokerEmail: 'corredora@example.cl' });
  });

  it('reports each bad row by line and field and keeps reading after it', async () => {
    const doc = await parseCsv(fixture('bad-listings.csv').toString());
    expect(doc.errors).toEqual([
      { row: 3, message: 'malformed row: a closing quote is followed by other characters (an unclosed quote?)' },
      { row: 4, field: 'monthly_rent', message: 'monthly_rent 9999 does not match annual rent / 12 = 2500' },
      { row: 5, field: 'unique_id', message: 'unique_id or property_address is required' },
      // Line 6 is blank: not a row, but still a line.
      { row: 7, message: 'expected 10 columns, found 6' },
      { row: 9, field: 'size_sf', message: 'size_sf must not be negative (got "-50")' },
      { row: 9, field: 'broker_email', message: 'broker_email must be an email address (got "not-an-email")' },
      { row: 10, field: 'unique_id', message: 'unique_id repeats the listing on row 2 (key "1")' },
      { row: 11, field: 'annual_rent', message: 'annual_rent 31000 does not match size_sf × rent_per_sf_year = 30000' },
    ]);
    expect(doc.rows.map((r) => [r.row, r.record.externalId])).toEqual([
      [2, '1'],
      [8, '6'],
    ]);
    expect(doc.rows[1].record).toMatchObject({ address: '1 Market St, Floor 9', sizeSf: 1200, rentPerSfYear: 50, annualRent: 60000, monthlyRent: 5000, brokerEmail: 'broker6@example.com' });
    expect(doc.totalRows).toBe(9);
  });

  it('resumes on the next line after a quote that is never closed', async () => {
    const doc = await parseCsv(`${SEED_HEADER}\n1,A St,1,1,10,1,,,,\n2,"B St,1,1,10,1,,,,\n3,C St,1,1,10,1,,,,\n`);
    expect(doc.errors).toEqual([{ row: 3, message: 'malformed row: a quoted field is never closed' }]);
    expect(doc.rows.map((r) => [r.row, r.record.externalId])).toEqual([
      [2, '1'],
      [4, '3'],
    ]);
  });

  it('rejects a stray quote inside an unquoted field as one bad row', async () => {
    const doc = await parseCsv(`${SEED_HEADER}\n1,A St,1,1,10,1,,,,\n2,12" wide St,1,1,10,1,,,,\n3,C St,1,1,10,1,,,,\n`);
    expect(doc.errors).toEqual([{ row: 3, message: 'malformed row: a quote inside an unquoted field (quote the whole field and double the quote)' }]);
    expect(doc.rows.map((r) => r.row)).toEqual([2, 4]);
  });

  it('numbers rows by the line they start on, across quoted line breaks, CRLF and blank lines', async () => {
    const csv = ['\ufeffid,address,description', '', '1,A St,"Piso alto.', 'Vista despejada."', '', '', '2,B St,"Tiene ""bodega"""', '   ', '3,,sin dirección'].join('\r\n');
    const doc = await parseCsv(csv);
    expect(doc.rows.map((r) => [r.row, r.record.externalId, r.record.description])).toEqual([
      [3, '1', 'Piso alto.\nVista despejada.'],
      [7, '2', 'Tiene "bodega"'],
      [9, '3', 'sin dirección'],
    ]);
    expect(doc.totalRows).toBe(3);
  });

  it('reads semicolon-separated files with Spanish headers and decimal commas, keeping unknown columns', async () => {
    const header = 'ID;Dirección;Ciudad;Tipo;Operación;Precio;Superficie;Dormitorios;Baños;Estado';
    const doc = await parseCsv(`${header}\nP-1;Av. Grecia 100;Ñuñoa;Departamento;venta;"5.900";"1.250,5";2;1,5;disponible\nP-2;Los Leones 5;Providencia;Oficina;arriendo;5.9;;;;\n`);
    expect(doc.rows.map((r) => r.record)).toEqual([
      expect.objectContaining({
        externalId: 'P-1',
        address: 'Av. Grecia 100',
        city: 'Ñuñoa',
        propertyType: 'departamento',
        listingType: 'sale',
        price: 5900,
        bedrooms: 2,
        bathrooms: 1.5,
        status: 'available',
        extra: { Superficie: '1.250,5' },
      }),
    ]);
    // In a decimal-comma file a decimal point is ambiguous: refused rather than guessed.
    expect(doc.errors).toEqual([{ row: 3, field: 'price', message: 'price must be a number (got "5,9")' }]);
  });

  it('refuses a file with nothing to read, or no listing key column', async () => {
    expect(await failure('csv', Buffer.from(''))).toEqual({ code: 'empty_file', message: 'The file is empty' });
    expect(await failure('csv', Buffer.from(`${SEED_HEADER}\n\n`))).toEqual({ code: 'empty_file', message: 'The CSV has a header but no rows' });
    expect(await failure('csv', Buffer.from('phone,name,email\n+56911112222,Ana,ana@example.com\n'))).toMatchObject({
      code: 'missing_columns',
      message: expect.stringContaining('needs a unique_id or a property_address column; found: phone, name, email'),
    });
    expect(await failure('csv', Buffer.from('"unique_id,property_address\n1,x\n'))).toMatchObject({ code: 'corrupt_file', message: expect.stringContaining('header on line 1 is malformed') });
    expect(await failure('csv', Buffer.from('unique_id,address\n1,Ubicaci\xf3n\n', 'latin1'))).toMatchObject({ code: 'invalid_encoding' });
  });

  it('gives up on a file that is mostly unreadable', async () => {
    expect(await failure('csv', Buffer.from(`unique_id,address\n${'1,"a\n'.repeat(1100)}`))).toEqual({ code: 'corrupt_file', message: 'More than 1000 malformed rows: is this a CSV file?' });
  });

  it('parses 100,000 rows (~15 MB) in a few seconds', async () => {
    const lines = [SEED_HEADER];
    for (let i = 1; i <= 100_000; i++) {
      const size = 500 + (i % 5000);
      const rate = 20 + (i % 60);
      // Every 1,000th row states a monthly rent that does not follow from its size and rate.
      const monthly = i % 1000 === 0 ? 1 : Math.round(((size * rate) / 12) * 100) / 100;
      lines.push(`${i},"${i} Avenida Libertador Bernardo O'Higgins Poniente, Edificio Torre Ñandú ${i % 97}",${i % 40},${i % 40}0${i % 9},"${size.toLocaleString('en-US')}",$${rate}.00,broker${i % 50}@example.com,${size * rate},${monthly},${size * rate * 0.25}`);
    }
    const csv = Buffer.from(`${lines.join('\n')}\n`);
    expect(csv.length).toBeGreaterThan(14_000_000);
    const started = process.hrtime.bigint();
    const doc = await parseCsv(csv.toString());
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(doc.totalRows).toBe(100_000);
    expect(doc.rows).toHaveLength(99_900);
    expect(doc.errors).toHaveLength(100);
    expect(doc.errors[0]).toEqual({ row: 1001, field: 'monthly_rent', message: expect.stringContaining('monthly_rent 1 does not match') });
    expect(doc.rows[99_899]).toMatchObject({ row: 100_000, record: { externalId: '99999' } });
    // A wide bound: the point is to catch a quadratic slip, not to benchmark a loaded machine.
    expect(seconds).toBeLessThan(20);
  }, 60_000);
});

describe('JSON', () => {
  it('reads a portal export under "listings"', async () => {
    const doc = listings(await parseDocument('json', fixture('listings.json')));
    expect(doc.errors).toEqual([]);
    expect(doc.totalRows).toBe(3);
    expect(doc.rows[0]).toEqual({
      row: 1,
      record: {
        externalId: 'P-100',
        title: 'Departamento luminoso en Ñuñoa',
        address: null,
        floor: null,
        suite: null,
        city: 'Santiago',
        neighborhood: 'Ñuñoa',
        propertyType: 'apartment',
        listingType: 'sale',
        status: 'available',
        sizeSf: null,
        rentPerSfYear: null,
        annualRent: null,
        monthlyRent: null,
        price: 185000,
        bedrooms: 3,
        bathrooms: 2,
        brokerEmail: null,
        gciOn3Years: null,
        description: 'Tres dormitorios, dos baños y terraza con vista a la cordillera.',
        extra: { parking: 1 },
      },
    });
    expect(doc.rows[1].record).toMatchObject({ externalId: 'P-101', neighborhood: 'Providencia', propertyType: 'office', listingType: 'rent', price: 1450, sizeSf: 120, status: 'under_offer' });
    expect(doc.rows[2].record).toMatchObject({ externalId: 'P-102', city: 'Viña del Mar', listingType: 'sale', bathrooms: 3.5, status: 'sold' });
  });

  it('reads a bare array or one under "data", with per-item errors', async () => {
    const bare = listings(await parseDocument('json', Buffer.from(JSON.stringify([{ ...seedRow(1) }, 'oops', { ...seedRow(3), monthly_rent: 1 }, seedRow(1)]))));
    expect(bare.rows.map((r) => r.row)).toEqual([1]);
    expect(bare.errors).toEqual([
      { row: 2, message: 'a listing must be an object' },
      { row: 3, field: 'monthly_rent', message: 'monthly_rent 1 does not match annual rent / 12 = 8333.33' },
      { row: 4, field: 'unique_id', message: 'unique_id repeats the listing on row 1 (key "1")' },
    ]);
    expect(bare.totalRows).toBe(4);
    const wrapped = listings(await parseDocument('json', Buffer.from(JSON.stringify({ data: [seedRow(7)] }))));
    expect(wrapped.rows[0].record.externalId).toBe('7');
  });

  it('reports a repeated address key under property_address', async () => {
    const doc = listings(await parseDocument('json', Buffer.from(JSON.stringify([{ address: '1 Main St', suite: '2' }, { address: ' 1  main st ', suite: '2', price: 5 }]))));
    expect(doc.errors).toEqual([{ row: 2, field: 'property_address', message: 'property_address repeats the listing on row 1 (key "1 main st||2")' }]);
  });

  it('treats JSON without listing fields as text, one string per paragraph', async () => {
    const faq = [
      { id: 1, question: '¿Aceptan mascotas?', answer: 'Sí, en la mayoría de los edificios.' },
      { id: 2, question: '¿Cuál es el horario?', answer: 'De lunes a sábado.' },
    ];
    expect(text(await parseDocument('json', Buffer.from(JSON.stringify(faq))))).toEqual({
      kind: 'text',
      text: '¿Aceptan mascotas?\n\nSí, en la mayoría de los edificios.\n\n¿Cuál es el horario?\n\nDe lunes a sábado.',
    });
    expect(text(await parseDocument('json', Buffer.from('["Primera línea", "  ", "Segunda"]'))).text).toBe('Primera línea\n\nSegunda');
    expect(text(await parseDocument('json', Buffer.from('{"title": "Guía", "sections": [{"body": "Arriendo"}]}'))).text).toBe('Guía\n\nArriendo');
  });

  it('refuses JSON nested too deep, and reads text at the deepest level allowed', async () => {
    expect(await failure('json', Buffer.from(`${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`))).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('64 levels') });
    expect(await failure('json', Buffer.from('{"a":'.repeat(100_000)))).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('64 levels') });
    expect(text(await parseDocument('json', Buffer.from(`${'['.repeat(64)}"hondo", "y ancho"${']'.repeat(64)}`))).text).toBe('hondo\n\ny ancho');
  });

  it('drops NUL characters and mends unpaired surrogates in JSON text, which Postgres would refuse', async () => {
    expect(text(await parseDocument('json', Buffer.from('["Hor\\u0000ario", "\\u0000", "mal \\ud83d par"]'))).text).toBe('Horario\n\nmal \ufffd par');
  });

  it('refuses invalid, empty and textless JSON', async () => {
    expect(await failure('json', fixture('invalid.json'))).toEqual({ code: 'invalid_json', message: 'The file is not valid JSON: a comma was expected at line 3, column 19 (position 75)' });
    expect(await failure('json', Buffer.from('{"a": }'))).toEqual({ code: 'invalid_json', message: 'The file is not valid JSON: a value was expected at line 1, column 7 (position 6)' });
    expect(await failure('json', Buffer.from('[{"a": 1},]'))).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('line 1, column 11') });
    expect(await failure('json', Buffer.from('{"listings": []}'))).toEqual({ code: 'empty_file', message: 'The JSON holds an empty list' });
    expect(await failure('json', Buffer.from('{"a": 1, "b": [true, null]}'))).toEqual({ code: 'no_text', message: 'The JSON has neither listings nor text' });
  });
});

describe('text', () => {
  it('keeps Spanish text as written, with Unix line breaks', async () => {
    expect(text(await parseDocument('txt', fixture('spanish.txt')))).toEqual({
      kind: 'text',
      text: 'Preguntas frecuentes — Corredora Andes\n\n¿Cuánto cuesta el arriendo de una oficina en Providencia? Depende del tamaño: entre 0,45 y 0,60 UF por metro cuadrado al mes.\n\nLa señora Núñez atiende los sábados. ¡Agende su visita con anticipación!',
    });
    // Decomposed accents (as macOS writes them) come out composed.
    expect(text(await parseDocument('txt', Buffer.from('\ufeffNu\u0301n\u0303ez\r\nsa\u0301bado'))).text).toBe('Núñez\nsábado');
  });

  it('extracts the text of a PDF, page by page', async () => {
    expect(await parseDocument('pdf', fixture('valid.pdf'))).toEqual({ kind: 'text', text: PDF_PAGES.map((lines) => lines.join('\n')).join('\n\n'), pages: 2 });
  });

  it('calls a truncated or garbled PDF corrupt, without hanging', async () => {
    expect(await failure('pdf', fixture('corrupt.pdf'))).toEqual({ code: 'corrupt_file', message: 'The PDF could not be read: Invalid PDF structure.' });
    expect(await failure('pdf', Buffer.from('%PDF-1.7\n\x00\x01garbage'))).toMatchObject({ code: 'corrupt_file' });
  });

  it('says so when a PDF has no text layer', async () => {
    expect(await failure('pdf', buildPdf([[], []]))).toEqual({ code: 'no_text', message: 'The document has no extractable text (a scanned image? OCR is not supported)' });
  });

  it('stops a reader that runs past its deadline', async () => {
    expect(await failure('pdf', fixture('valid.pdf'), { timeoutMs: 1 })).toEqual({ code: 'parse_timeout', message: 'Reading the PDF took longer than 1 ms' });
  });

  it('extracts the paragraphs of a DOCX', async () => {
    expect(await parseDocument('docx', fixture('spanish.docx'))).toEqual({ kind: 'text', text: DOCX_PARAGRAPHS.join('\n\n') });
  });

  it('calls a damaged DOCX corrupt and refuses a ZIP bomb before unpacking it', async () => {
    const docx = buildDocx(['Hola']);
    expect(await failure('docx', docx.subarray(0, docx.length - 40))).toMatchObject({ code: 'corrupt_file' });
    // Garble the compressed body of word/document.xml, leaving the ZIP directory intact.
    const garbled = buildDocx(['Hola'], { 'word/document.xml': Buffer.from('<w:document>not closed') });
    expect(await failure('docx', garbled)).toMatchObject({ code: 'corrupt_file', message: expect.stringMatching(/^The DOCX could not be read: /) });
    expect(await failure('docx', Buffer.from(zipSync({ 'xl/workbook.xml': Buffer.from('<workbook/>') })))).toMatchObject({ code: 'corrupt_file' });
    expect(await failure('docx', declaringSize(buildDocx(['Hola']), 'word/document.xml', 100 * 1024 * 1024))).toEqual({ code: 'too_large', message: "The DOCX's text would unpack to 100 MB" });
  });
});

/** A ZIP bomb without the wait: the entry's central-directory record claims `size` bytes unpacked. */
function declaringSize(zip: Buffer, name: string, size: number): Buffer {
  const patched = Buffer.from(zip);
  for (let at = patched.indexOf('PK\x01\x02', 0, 'latin1'); at !== -1; at = patched.indexOf('PK\x01\x02', at + 4, 'latin1')) {
    const nameLength = patched.readUInt16LE(at + 28);
    if (patched.toString('utf8', at + 46, at + 46 + nameLength) === name) patched.writeUInt32LE(size, at + 24);
  }
  return patched;
}

function seedRow(id: number) {
  return { unique_id: id, property_address: `${id} Main St`, floor: '5', suite: '501', size_sf: 2000, rent_per_sf_year: 50, annual_rent: 100000, monthly_rent: 8333.33 };
}
