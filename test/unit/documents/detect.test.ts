import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { detectFileType, safeFilename } from '../../../src/documents';
import { buildDocx, PNG_1X1 } from '../../support/documents';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'documents');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

describe('detectFileType', () => {
  it.each([
    ['listings.csv', { ok: true, type: 'csv' }],
    ['bad-listings.csv', { ok: true, type: 'csv' }],
    ['listings.json', { ok: true, type: 'json' }],
    ['spanish.txt', { ok: true, type: 'txt' }],
    ['valid.pdf', { ok: true, type: 'pdf' }],
    // Detection looks at the signature; the damaged body fails at parse time.
    ['corrupt.pdf', { ok: true, type: 'pdf' }],
    ['spanish.docx', { ok: true, type: 'docx' }],
    ['empty.csv', { ok: false, code: 'empty_file', message: 'The file is empty' }],
    ['image.csv', { ok: false, code: 'unsupported_type', message: '"image.csv" is a PNG image' }],
    ['invalid.json', { ok: false, code: 'invalid_json', message: 'The file is not valid JSON: a comma was expected at line 3, column 19 (position 75)' }],
  ])('%s', (name, expected) => {
    expect(detectFileType(name, fixture(name))).toEqual(expected);
  });

  it('refuses JSON nested deeper than 64 levels, valid or not, without overflowing the stack', () => {
    const tooDeep = { ok: false, code: 'invalid_json', message: 'The JSON nests arrays and objects more than 64 levels deep (at line 1, column 65, position 64)' };
    expect(detectFileType('open.json', Buffer.from('['.repeat(100_000)))).toEqual(tooDeep);
    expect(detectFileType('closed.json', Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toEqual(tooDeep);
    expect(detectFileType('objects.json', Buffer.from(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`))).toMatchObject({ ok: false, code: 'invalid_json' });
    // A line break ends a string for the tolerant parser, so it must for the depth count too.
    expect(detectFileType('broken.json', Buffer.from(`["\n${'['.repeat(100_000)}`))).toMatchObject({ ok: false, code: 'invalid_json', message: expect.stringContaining('64 levels') });
    // Brackets inside strings do not nest; 64 levels do not yet refuse.
    expect(detectFileType('text.json', Buffer.from(JSON.stringify({ a: '['.repeat(1000), b: '\\"[[' })))).toEqual({ ok: true, type: 'json' });
    expect(detectFileType('limit.json', Buffer.from(`${'['.repeat(64)}"x"${']'.repeat(64)}`))).toEqual({ ok: true, type: 'json' });
  });

  it('goes by content, and refuses a file whose extension says otherwise', () => {
    expect(detectFileType('listings.csv', fixture('valid.pdf'))).toEqual({ ok: false, code: 'type_mismatch', message: '"listings.csv" is named .csv but is a PDF file' });
    expect(detectFileType('notes.txt', fixture('spanish.docx'))).toEqual({ ok: false, code: 'type_mismatch', message: '"notes.txt" is named .txt but is a DOCX file' });
    expect(detectFileType('brochure.docx', fixture('valid.pdf'))).toMatchObject({ ok: false, code: 'type_mismatch' });
    expect(detectFileType('report.pdf', fixture('listings.csv'))).toEqual({ ok: false, code: 'type_mismatch', message: '"report.pdf" is named .pdf but is plain text' });
    expect(detectFileType('contract.docx', fixture('spanish.txt'))).toMatchObject({ ok: false, code: 'type_mismatch' });
  });

  it('accepts any case of a supported extension', () => {
    expect(detectFileType('LISTINGS.CSV', fixture('listings.csv'))).toEqual({ ok: true, type: 'csv' });
    expect(detectFileType('Ficha.Pdf', fixture('valid.pdf'))).toEqual({ ok: true, type: 'pdf' });
  });

  it('refuses unsupported types by extension and by content', () => {
    expect(detectFileType('setup.exe', Buffer.from('MZ\x90\x00\x03'))).toEqual({ ok: false, code: 'unsupported_type', message: 'Only .csv, .json, .txt, .pdf, .docx files are accepted; got "setup.exe"' });
    expect(detectFileType('photo.png', PNG_1X1)).toMatchObject({ ok: false, code: 'unsupported_type' });
    expect(detectFileType('README', fixture('spanish.txt'))).toMatchObject({ ok: false, code: 'unsupported_type' });
    expect(detectFileType('setup.txt', Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'))).toEqual({ ok: false, code: 'unsupported_type', message: '"setup.txt" is a Windows executable' });
    const workbook = Buffer.from(zipSync({ '[Content_Types].xml': Buffer.from('<Types/>'), 'xl/workbook.xml': Buffer.from('<workbook/>') }));
    expect(detectFileType('listings.docx', workbook)).toEqual({ ok: false, code: 'unsupported_type', message: '"listings.docx" is an Excel workbook; export it as CSV' });
    expect(detectFileType('listings.csv', workbook)).toMatchObject({ ok: false, code: 'unsupported_type' });
    // Binary without a known signature: NUL bytes are never text.
    expect(detectFileType('data.csv', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x00, 0x01]))).toMatchObject({ ok: false, code: 'unsupported_type' });
  });

  it('calls a damaged ZIP named .docx corrupt', () => {
    const docx = buildDocx(['Hola']);
    expect(detectFileType('contrato.docx', docx.subarray(0, docx.length - 40))).toEqual({ ok: false, code: 'corrupt_file', message: '"contrato.docx" is a damaged ZIP archive' });
  });

  it('treats whitespace-only files as empty', () => {
    expect(detectFileType('a.csv', Buffer.from(' \r\n\t\n'))).toMatchObject({ ok: false, code: 'empty_file' });
    expect(detectFileType('a.json', Buffer.from('\ufeff  \n'))).toMatchObject({ ok: false, code: 'empty_file' });
    expect(detectFileType('a.pdf', Buffer.alloc(0))).toMatchObject({ ok: false, code: 'empty_file' });
  });

  it('requires UTF-8 text and strips a BOM', () => {
    expect(detectFileType('a.csv', Buffer.from('unique_id,property_address\n1,Ubicaci\xf3n 5\n', 'latin1'))).toEqual({
      ok: false,
      code: 'invalid_encoding',
      message: 'The file is not UTF-8 text; save it as UTF-8 and upload it again',
    });
    expect(detectFileType('a.txt', Buffer.from('\ufeffhola', 'utf16le'))).toMatchObject({ ok: false, code: 'invalid_encoding' });
    expect(detectFileType('a.json', Buffer.from('\ufeff[{"unique_id": 1}]'))).toEqual({ ok: true, type: 'json' });
    expect(detectFileType('a.txt', Buffer.from('hola\u0000mundo'))).toMatchObject({ ok: false, code: 'unsupported_type' });
  });

  it('sanitizes the name before reading its extension', () => {
    expect(detectFileType('../../listings.csv', fixture('listings.csv'))).toEqual({ ok: true, type: 'csv' });
    expect(detectFileType('../..', fixture('listings.csv'))).toMatchObject({ ok: false, code: 'invalid_filename' });
    // A right-to-left override would show "invoice‮fdp.exe" as "invoiceexe.pdf".
    expect(detectFileType('invoice\u202Efdp.exe', fixture('valid.pdf'))).toMatchObject({ ok: false, code: 'unsupported_type' });
  });
});

describe('safeFilename', () => {
  it.each([
    ['listings.csv', 'listings.csv'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\x', 'x'],
    ['/var/uploads/listings.csv', 'listings.csv'],
    ['C:\\fakepath\\Fichas 2024.pdf', 'Fichas 2024.pdf'],
    ['C:listings.csv', 'listings.csv'],
    ['listings\u0000.csv', 'listings.csv'],
    ['list\nings\r\t.csv', 'listings.csv'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['  notas.txt  ', 'notas.txt'],
    ['listings.csv. . ', 'listings.csv'],
    // Composed (NFC), as a Mac's decomposed "ñ" would otherwise differ from a Windows one.
    ['Nun\u0303ez.txt', 'Nu\u00f1ez.txt'],
    ['.env', '.env'],
  ])('%j → %j', (raw, name) => {
    expect(safeFilename(raw)).toEqual({ ok: true, name });
  });

  it.each(['', '   ', '.', '..', '../', '..\\..\\', 'dir/', '\u0000', '\u202E', '/', 'C:'])('refuses %j', (raw) => {
    expect(safeFilename(raw)).toEqual({ ok: false, code: 'invalid_filename', message: 'The file name is empty or not a file name' });
  });

  it('caps the name at 255 bytes and keeps the extension', () => {
    const result = safeFilename(`${'ñ'.repeat(300)}.csv`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Buffer.byteLength(result.name)).toBeLessThanOrEqual(255);
    expect(result.name).toBe(`${'ñ'.repeat(125)}.csv`);
  });
});
