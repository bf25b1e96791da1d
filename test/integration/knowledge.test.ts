import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type Koa from 'koa';
import { createApp } from '../../src/http/app';
import { present } from '../../src/http/middleware/errors';
import { chunkText } from '../../src/documents/chunk';
import { createEmbedder } from '../../src/embeddings';
import { notStartedReport, throwIfNothingStarted, type FileReport } from '../../src/knowledge/uploads';
import { createTemporal } from '../../src/temporal/client';
import { retrieve } from '../../src/search/retrieve';
import { aliasName } from '../../src/search/indices';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { bearer, registerTenant, type Tenant } from '../support/identity';
import { LISTING_HEADER, listingsCsv } from '../support/listings';
import { maybeCaptureHistory } from '../support/histories';

const SPANISH_TXT = `Horario de atención

Nuestra oficina atiende de lunes a viernes de 9:00 a 18:00 horas. Los sábados atendemos solo con cita previa.

Mascotas

En los departamentos del edificio Los Álamos se permiten mascotas pequeñas, con un depósito adicional de medio mes de arriendo.`;

// Uploads, rebuilds and a 3,000-row file that reports progress take minutes on a loaded machine.
jest.setTimeout(180_000);

describe('knowledge and listings', () => {
  let ctx: TestContext;
  let app: Koa;
  let t: Tenant;
  let other: Tenant;
  const http = () => request(app.callback());
  const upload = (token: string, files: Array<[string, string | Buffer]>, path = '/api/v1/documents/upload') => {
    let req = http().post(path).set(bearer(token));
    for (const [name, content] of files) req = req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), name);
    return req;
  };
  const esCount = async (tenantId: string, kind: 'properties' | 'knowledge') => {
    const alias = aliasName(ctx.config.ELASTICSEARCH_INDEX_PREFIX, kind, tenantId);
    await ctx.es.indices.refresh({ index: alias });
    return (await ctx.es.count({ index: alias, query: { term: { tenant_id: tenantId } } })).count;
  };
  const searchDeps = () => ({ es: ctx.es, embedder: createEmbedder(ctx.config), prefix: ctx.config.ELASTICSEARCH_INDEX_PREFIX });

  beforeAll(async () => {
    ctx = await createTestContext({ AUTH_RATE_LIMIT_PER_MINUTE: 100_000, RATE_LIMIT_PER_MINUTE: 100_000, INGEST_SYNC_MAX_BYTES: 200_000, INGEST_BATCH_SIZE: 200, UPLOAD_MAX_FILE_BYTES: 1_000_000 });
    app = createApp(ctx);
    await ctx.startWorker();
    [t, other] = [await registerTenant(app), await registerTenant(app)];
  });
  afterAll(() => ctx.close());

  describe('upload', () => {
    it('turns a listings CSV into properties in Postgres and Elasticsearch, computing derived rents', async () => {
      const csv = `${LISTING_HEADER}\nA1,1 Main St,5,501,2000,50,broker1@example.com,100000,8333.33,25000,Austin,office,Corner office\nA2,2 Main St,3,301,1000,30,,,,,Austin,office,No rents given\n`;
      const res = await upload(t.admin.token, [['listings.csv', csv]]);
      expect(res.status).toBe(200);
      const [file] = res.body.processed_files;
      expect(file).toMatchObject({ filename: 'listings.csv', type: 'csv', status: 'completed', records_inserted: 2, rejected_records: 0, errors: [] });
      expect(file.document_id).toEqual(expect.any(String));
      expect(file.workflow_id).toBe(`ingest:${t.brokerId}:${file.document_id}`);
      const rows = await ctx.sql<{ external_id: string; annual_rent: number; monthly_rent: number }>('select external_id, annual_rent, monthly_rent from properties where tenant_id = ? order by external_id', [t.brokerId]);
      expect(rows).toEqual([
        { external_id: 'A1', annual_rent: 100000, monthly_rent: 8333.33 },
        { external_id: 'A2', annual_rent: 30000, monthly_rent: 2500 },
      ]);
      expect(await esCount(t.brokerId, 'properties')).toBe(2);
      const doc = await http().get(`/api/v1/documents/${file.document_id}`).set(bearer(t.agent.token));
      expect(doc.body).toMatchObject({ status: 'completed', records_inserted: 2, kind: 'listings' });
    });

    it('re-uploading the same keys updates the listings instead of adding', async () => {
      const csv = `${LISTING_HEADER}\nA1,1 Main St,5,501,2000,55,broker1@example.com,,,,Austin,office,Corner office renovated\n`;
      const res = await upload(t.admin.token, [['again.csv', csv]]);
      expect(res.body.processed_files[0]).toMatchObject({ status: 'completed', records_inserted: 1 });
      const rows = await ctx.sql<{ n: number; annual: number }>("select count(*)::int as n, max(annual_rent) as annual from properties where tenant_id = ? and external_id = 'A1'", [t.brokerId]);
      expect(rows[0]).toEqual({ n: 1, annual: 110000 });
      expect(await esCount(t.brokerId, 'properties')).toBe(2);
    });

    it('reports bad files and bad rows one by one and still processes the rest', async () => {
      const before = await ctx.sql<{ n: number }>('select count(*)::int as n from documents where tenant_id = ?', [t.brokerId]);
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
      const badRows = `${LISTING_HEADER}\nB1,10 Elm St,1,1,1000,40,,40000,9999,,Denver,office,wrong monthly\n,,,,,,,,,,,,no key\nB3,12 Elm St,1,1,abc,40,,,,,Denver,office,bad size\nB4,13 Elm St,1,1,1000,40,,,,,Denver,office,fine\n`;
      const res = await upload(t.admin.token, [
        ['photo.csv', png],
        ['empty.txt', ''],
        ['broken.json', '{"listings": [ {"unique_id": 1,'],
        ['../../etc/passwd.csv', `${LISTING_HEADER}\nC1,1 Oak St,1,1,100,10,,,,,Boston,retail,traversal name\n`],
        ['rows.csv', badRows],
        ['scan.pdf', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ngarbage')],
      ]);
      expect(res.status).toBe(200);
      const byName = Object.fromEntries(res.body.processed_files.map((f: { filename: string }) => [f.filename, f]));
      expect(byName['photo.csv']).toMatchObject({ status: 'rejected', document_id: null, errors: [{ code: expect.stringMatching(/type_mismatch|unsupported_type/) }] });
      expect(byName['empty.txt']).toMatchObject({ status: 'rejected', errors: [{ code: 'empty_file' }] });
      expect(byName['broken.json']).toMatchObject({ status: 'rejected', errors: [{ code: 'invalid_json' }] });
      expect(byName['passwd.csv']).toMatchObject({ status: 'completed', records_inserted: 1 });
      expect(byName['scan.pdf']).toMatchObject({ status: 'failed', errors: [{ code: 'corrupt_file' }] });
      await maybeCaptureHistory(ctx.temporal.client.workflow.getHandle(byName['scan.pdf'].workflow_id), 'document-ingestion-corrupt-file');
      const rows = byName['rows.csv'];
      expect(rows).toMatchObject({ status: 'completed', records_inserted: 1, rejected_records: 3 });
      expect(rows.errors).toEqual([
        expect.objectContaining({ row: 2, field: 'monthly_rent' }),
        expect.objectContaining({ row: 3, field: 'unique_id' }),
        expect.objectContaining({ row: 4, field: 'size_sf' }),
      ]);
      expect(res.body.status).toBe('partial');
      // Only accepted files became documents; the rejected left nothing behind.
      const after = await ctx.sql<{ n: number }>('select count(*)::int as n from documents where tenant_id = ?', [t.brokerId]);
      expect(after[0]!.n - before[0]!.n).toBe(3);
      const stored = await ctx.sql<{ external_id: string }>("select external_id from properties where tenant_id = ? and external_id like 'B%'", [t.brokerId]);
      expect(stored.map((r) => r.external_id)).toEqual(['B4']);
    });

    it('reports values Postgres cannot hold as row errors, stores the good rows and completes', async () => {
      const json = JSON.stringify([
        { unique_id: 'V1', property_address: '1 Valid St', city: 'Austin', bedrooms: 2 },
        { unique_id: 'V2', property_address: '2 Long St', city: 'C'.repeat(121) },
        { unique_id: 'V3', property_address: '3 Huge St', bedrooms: 99_999_999_999 },
        { unique_id: 'V4', property_address: '4 Nul St', description: 'a NUL \u0000 here' },
        { unique_id: 'V5', property_address: '5 Valid St', city: 'Austin' },
      ]);
      expect(json).toContain('\\u0000');
      const csv = `${LISTING_HEADER}\nW1,1 Wide St,1,1,100,10,,,,,${'D'.repeat(121)},office,long city\nW2,2 Wide St,1,1,100,10,,,,,Denver,office,fine\nW3,${'9'.repeat(400)},1,1,100,10,,,,,Denver,office,long address\n`;
      const res = await upload(t.admin.token, [['values.json', json], ['values.csv', csv]]);
      expect(res.status).toBe(200);
      const [fromJson, fromCsv] = res.body.processed_files;
      expect(fromJson).toMatchObject({ status: 'completed', records_inserted: 2, rejected_records: 3 });
      expect(fromJson.errors).toEqual([
        expect.objectContaining({ row: 2, field: 'city' }),
        expect.objectContaining({ row: 3, field: 'bedrooms' }),
        expect.objectContaining({ row: 4, field: 'description' }),
      ]);
      expect(fromCsv).toMatchObject({ status: 'completed', records_inserted: 1, rejected_records: 2 });
      expect(fromCsv.errors).toEqual([expect.objectContaining({ row: 2, field: 'city' }), expect.objectContaining({ row: 4, field: 'property_address' })]);
      const stored = await ctx.sql<{ external_id: string }>("select external_id from properties where tenant_id = ? and (external_id like 'V%' or external_id like 'W%') order by external_id", [t.brokerId]);
      expect(stored.map((r) => r.external_id)).toEqual(['V1', 'V5', 'W2']);
      const doc = await http().get(`/api/v1/documents/${fromJson.document_id}`).set(bearer(t.admin.token));
      expect(doc.body).toMatchObject({ status: 'completed', records_inserted: 2, rejected_records: 3 });
    });

    it('reports rows Postgres still refuses one by one instead of retrying the batch forever', async () => {
      // A check validation knows nothing of, as an operator's trigger or a narrowed column would be.
      await ctx.sql(`create or replace function docs_test_refuse() returns trigger language plpgsql as $$
        begin
          if new.neighborhood = 'refused-by-postgres' then raise exception 'value too long' using errcode = 'string_data_right_truncation'; end if;
          -- What a NUL written into the SQL text makes the server answer.
          if new.neighborhood = 'protocol-violation' then raise exception 'invalid message format' using errcode = 'protocol_violation'; end if;
          return new;
        end $$`);
      await ctx.sql('create trigger docs_test_refuse before insert or update on properties for each row execute function docs_test_refuse()');
      try {
        const json = JSON.stringify([
          { unique_id: 'R1', property_address: '1 Refuse St', neighborhood: 'Centro' },
          { unique_id: 'R2', property_address: '2 Refuse St', neighborhood: 'refused-by-postgres' },
          { unique_id: 'R3', property_address: '3 Refuse St', neighborhood: 'Centro' },
          { unique_id: 'R4', property_address: '4 Refuse St', neighborhood: 'protocol-violation' },
        ]);
        const res = await upload(t.admin.token, [['refused.json', json]]);
        expect(res.status).toBe(200);
        const [file] = res.body.processed_files;
        expect(file).toMatchObject({ status: 'completed', records_inserted: 2, rejected_records: 2 });
        expect(file.errors).toEqual([
          { row: 2, message: expect.stringContaining('SQLSTATE 22001') },
          { row: 4, message: expect.stringContaining('SQLSTATE 08P01') },
        ]);
        const stored = await ctx.sql<{ external_id: string }>("select external_id from properties where tenant_id = ? and external_id like 'R_' order by external_id", [t.brokerId]);
        expect(stored.map((r) => r.external_id)).toEqual(['R1', 'R3']);
        expect(await http().get(`/api/v1/documents/${file.document_id}`).set(bearer(t.admin.token)).then((r) => r.body.status)).toBe('completed');
      } finally {
        await ctx.sql('drop trigger if exists docs_test_refuse on properties');
        await ctx.sql('drop function if exists docs_test_refuse()');
      }
    });

    it('refuses deeply nested JSON as a file error, valid or not, and goes on with the other files', async () => {
      const res = await upload(t.admin.token, [
        ['open.json', '['.repeat(100_000)],
        ['closed.json', `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`],
        ['shallow.json', JSON.stringify([{ unique_id: 'J1', property_address: '1 Json St' }])],
      ]);
      expect(res.status).toBe(200);
      const tooDeep = { status: 'rejected', document_id: null, errors: [{ code: 'invalid_json', message: expect.stringContaining('64 levels') }] };
      expect(res.body.processed_files).toEqual([
        expect.objectContaining({ filename: 'open.json', ...tooDeep }),
        expect.objectContaining({ filename: 'closed.json', ...tooDeep }),
        expect.objectContaining({ filename: 'shallow.json', status: 'completed', records_inserted: 1 }),
      ]);
    });

    it('reads PDF and DOCX files into passages a question finds', async () => {
      const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'documents', name));
      const res = await upload(t.admin.token, [['ficha.pdf', fixture('valid.pdf')], ['contrato.docx', fixture('spanish.docx')]]);
      expect(res.status).toBe(200);
      expect(res.body.processed_files).toEqual([
        expect.objectContaining({ filename: 'ficha.pdf', type: 'pdf', status: 'completed', chunks: 1 }),
        expect.objectContaining({ filename: 'contrato.docx', type: 'docx', status: 'completed', chunks: 1 }),
      ]);
      const found = await retrieve(searchDeps(), { tenantId: t.brokerId, query: '¿cuánto cuesta el departamento en Ñuñoa?', k: 2 });
      expect(found.passages[0]!.text).toMatch(/5\.900 UF/);
      expect(found.passages[0]!.title).toBe('ficha.pdf');
      const lease = await retrieve(searchDeps(), { tenantId: t.brokerId, query: 'does the office lease include parking?', k: 2 });
      expect(lease.passages.map((p) => p.title)).toContain('contrato.docx');
    });

    it('refuses a file over the per-file limit on its own, and a request over the total with 413', async () => {
      const small = `${LISTING_HEADER}\nZ1,1 Zed St,1,1,100,10,,,,,Boston,retail,ok\n`;
      const big = Buffer.alloc(1_000_001, 'a');
      const res = await upload(t.admin.token, [['big.txt', big], ['small.csv', small]]);
      expect(res.status).toBe(200);
      expect(res.body.processed_files[0]).toMatchObject({ filename: 'big.txt', status: 'rejected', errors: [{ code: 'file_too_large' }] });
      expect(res.body.processed_files[1]).toMatchObject({ filename: 'small.csv', status: 'completed', records_inserted: 1 });
      const huge = await upload(t.admin.token, [['huge.txt', Buffer.alloc(2_000_001, 'a')]]);
      expect(huge.status).toBe(413);
      expect(huge.body.status).toBe('error');
    });

    it('answers 422 in the error shape when no file can be accepted, and when none is sent', async () => {
      const res = await upload(t.admin.token, [['x.exe', Buffer.from([0x4d, 0x5a, 0x90, 0x00])]]);
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ status: 'error', error: { code: 'no_valid_files' } });
      const none = await http().post('/api/v1/documents/upload').set(bearer(t.admin.token)).field('x', 'y');
      expect(none.status).toBe(422);
    });

    it('answers 202 for a large file and reports progress until it is done', async () => {
      const csv = listingsCsv(3000, 'BIG');
      expect(csv.length).toBeGreaterThan(200_000);
      const res = await upload(t.admin.token, [['big.csv', csv]]);
      expect(res.status).toBe(202);
      const id = res.body.processed_files[0].document_id;
      let doc;
      for (let i = 0; i < 240; i++) {
        doc = (await http().get(`/api/v1/documents/${id}`).set(bearer(t.admin.token))).body;
        if (doc.status === 'completed' || doc.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(doc).toMatchObject({ status: 'completed', records_inserted: 3000, rejected_records: 0, progress: { indexed: 3000 } });
      await maybeCaptureHistory(ctx.temporal.client.workflow.getHandle(doc.workflow_id), 'document-ingestion-listings');
      const events = await ctx.sql<{ type: string }>("select distinct type from events where topic = ? and payload->>'document_id' = ?", [`tenant:${t.brokerId}`, id]);
      expect(events.map((e) => e.type).sort()).toEqual(['document.completed', 'document.progress']);
      const download = await http().get(`/api/v1/documents/${id}/content`).set(bearer(t.admin.token));
      expect(download.text).toBe(csv);
      expect(await http().get(`/api/v1/documents/${id}`).set(bearer(other.admin.token)).then((r) => r.status)).toBe(404);
    });

    it('downloads a file whose name is beyond Latin-1 under its own name', async () => {
      const name = 'informe–€-東京.txt';
      const body = 'Informe trimestral de arriendos en Tokio y Santiago.';
      const res = await upload(t.admin.token, [[name, body]]);
      expect(res.body.processed_files[0]).toMatchObject({ filename: name, status: 'completed' });
      const download = await http().get(`/api/v1/documents/${res.body.processed_files[0].document_id}/content`).set(bearer(t.admin.token));
      expect(download.status).toBe(200);
      expect(download.text).toBe(body);
      const disposition = download.headers['content-disposition'] as string;
      expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
      expect(decodeURIComponent(/filename\*=UTF-8''(\S+)/.exec(disposition)![1]!)).toBe(name);
    });

    it('makes a Spanish text document retrievable by Spanish and English questions, for its tenant only', async () => {
      const res = await upload(t.admin.token, [['politicas.txt', SPANISH_TXT]]);
      expect(res.body.processed_files[0]).toMatchObject({ status: 'completed', type: 'txt' });
      expect(res.body.processed_files[0].chunks).toBeGreaterThanOrEqual(1);
      const es = await retrieve(searchDeps(), { tenantId: t.brokerId, query: '¿Aceptan mascotas en los departamentos?', k: 3 });
      expect(es.passages[0]!.text).toMatch(/mascotas/);
      const en = await retrieve(searchDeps(), { tenantId: t.brokerId, query: 'are pets allowed in the apartments?', k: 3 });
      expect(en.passages[0]!.text).toMatch(/mascotas/);
      const foreign = await retrieve(searchDeps(), { tenantId: other.brokerId, query: '¿Aceptan mascotas?', k: 3 });
      expect(foreign.passages).toEqual([]);
    });
  });

  describe('when ingestion cannot start', () => {
    const rejected: FileReport = { filename: 'x.exe', type: null, status: 'rejected', document_id: null, workflow_id: null, records_inserted: 0, rejected_records: 0, chunks: 0, errors: [{ code: 'unsupported_type', message: 'no' }], processing_time: 0 };

    it('answers 503 with nothing stored when no file could start (an unknown Temporal namespace)', async () => {
      const temporal = createTemporal({ ...ctx.config, TEMPORAL_NAMESPACE: `no-such-namespace-${Date.now()}` });
      try {
        const broken = createApp({ ...ctx, temporal });
        const before = await ctx.sql<{ n: number }>('select count(*)::int as n from documents where tenant_id = ?', [t.brokerId]);
        let req = request(broken.callback()).post('/api/v1/documents/upload').set(bearer(t.admin.token));
        const files: Array<[string, string]> = [['n1.txt', 'Primera nota.'], ['n2.txt', 'Segunda nota.'], ['x.exe', 'MZ']];
        for (const [name, content] of files) req = req.attach('file', Buffer.from(content), name);
        const res = await req;
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ status: 'error', error: { code: 'service_unavailable', message: expect.stringContaining('nothing was stored') } });
        const after = await ctx.sql<{ n: number }>('select count(*)::int as n from documents where tenant_id = ?', [t.brokerId]);
        expect(after[0]!.n).toBe(before[0]!.n);
      } finally {
        await temporal.connection.close();
      }
    });

    it('keeps the files already started in the answer, with their ids, next to the ones not stored', () => {
      const started: FileReport = { ...rejected, filename: 'a.csv', type: 'csv', status: 'processing', document_id: 'doc-a', workflow_id: 'ingest:t:doc-a', errors: [] };
      const reports = [started, notStartedReport('b.csv', 'csv'), rejected, notStartedReport('c.txt', 'txt')];
      expect(() => throwIfNothingStarted(reports)).not.toThrow();
      expect(reports[1]).toEqual({ ...started, filename: 'b.csv', status: 'failed', document_id: null, workflow_id: null, errors: [{ code: 'service_unavailable', message: expect.stringContaining('this file was not stored') }] });
      expect(() => throwIfNothingStarted([rejected, notStartedReport('b.csv', 'csv')])).toThrow(expect.objectContaining({ status: 503, code: 'service_unavailable' }));
      // Only refused files: the route's own 422 applies.
      expect(() => throwIfNothingStarted([rejected])).not.toThrow();
    });
  });

  describe('knowledge base', () => {
    it('creates, searches, updates and deletes entries, keeping the index in step', async () => {
      const created = await http().post('/api/v1/kb').set(bearer(t.admin.token)).send({ title: 'Comisión', content: 'La comisión de corretaje es del 2% del precio de venta más IVA.', category: 'fees' });
      expect(created.status).toBe(201);
      expect(created.body.indexing.status).toBe('indexed');
      await maybeCaptureHistory(ctx.temporal.client.workflow.getHandle(created.body.indexing.workflow_id), 'document-ingestion-kb-entry');
      const id = created.body.id;
      const search = async (query: string) => (await http().post('/api/v1/kb/search').set(bearer(t.agent.token)).send({ query, limit: 3 })).body;
      const found = await search('¿cuánto cobran de comisión?');
      expect(found.results[0]).toMatchObject({ id, title: 'Comisión' });
      expect(found.results[0].score).toBeGreaterThan(0);

      const updated = await http().put(`/api/v1/kb/${id}`).set(bearer(t.admin.token)).send({ content: 'Los honorarios son 1,5% del precio.' });
      expect(updated.status).toBe(200);
      expect((await search('honorarios')).results[0]).toMatchObject({ id, passage: 'Los honorarios son 1,5% del precio.' });

      expect((await http().delete(`/api/v1/kb/${id}`).set(bearer(t.admin.token))).status).toBe(204);
      expect((await search('honorarios')).results.find((r: { id: string }) => r.id === id)).toBeUndefined();
      const chunks = await ctx.sql<{ n: number }>('select count(*)::int as n from knowledge_chunks where source_id = ?', [id]);
      expect(chunks[0]!.n).toBe(0);
      expect((await http().get(`/api/v1/kb/${id}`).set(bearer(t.admin.token))).status).toBe(404);
    });

    it('keeps an entry’s passages those of its last edit when edits and a delete arrive at once', async () => {
      // Each edit a different length, so a run that loses the race leaves a tail of its own.
      const paragraphs = (word: string, n: number) => Array.from({ length: n }, (_, i) => `${word} regla ${i}: ${'texto de relleno '.repeat(80)}`).join('\n\n');
      const alias = aliasName(ctx.config.ELASTICSEARCH_INDEX_PREFIX, 'knowledge', t.brokerId);
      const indexed = async (id: string) => {
        await ctx.es.indices.refresh({ index: alias });
        const hits = (await ctx.es.search<{ text: string }>({ index: alias, query: { term: { source_id: id } }, size: 500, _source: ['text'] })).hits.hits;
        return hits.map((h) => `${h._id}|${h._source!.text}`).sort();
      };
      const stored = async (id: string) => (await ctx.sql<{ row: string }>("select id || '|' || text as row from knowledge_chunks where source_id = ?", [id])).map((r) => r.row).sort();

      const edits = [12, 1, 30, 7, 20, 2, 9, 40, 3, 15, 1, 25, 5, 18, 2, 11];
      for (let round = 0; round < 5; round++) {
        const entry = (await http().post('/api/v1/kb').set(bearer(t.admin.token)).send({ title: `Reglas ${round}`, content: paragraphs('inicial', 3) })).body;
        const answers = await Promise.all(edits.map((n, i) => http().put(`/api/v1/kb/${entry.id}`).set(bearer(t.admin.token)).send({ content: paragraphs(`edicion${i}`, n) })));
        expect(answers.map((r) => r.status)).toEqual(edits.map(() => 200));
        const final = (await http().get(`/api/v1/kb/${entry.id}`).set(bearer(t.admin.token))).body;
        const expected = chunkText(final.content).map((text, i) => `${entry.id}:${i}|${text}`).sort();
        // Postgres and the index settle on the last edit's passages, every one of them, nothing else.
        await eventually('the passages of the last edit only, in Postgres and the index', async () => ({ pg: await stored(entry.id), es: await indexed(entry.id) }), ({ pg, es }) => JSON.stringify(pg) === JSON.stringify(expected) && JSON.stringify(es) === JSON.stringify(expected), 20_000);
      }

      // A delete arriving while a long edit is being indexed leaves nothing behind once both are done.
      // The delays only spread the delete over the edit's indexing; nothing is asserted about time.
      for (const delay of [0, 100, 200, 300, 400]) {
        const racing = (await http().post('/api/v1/kb').set(bearer(t.admin.token)).send({ title: 'Efímera', content: paragraphs('efimera', 2) })).body;
        const edit = http().put(`/api/v1/kb/${racing.id}`).set(bearer(t.admin.token)).send({ content: paragraphs('tardia', 80) }).then((r) => r);
        await new Promise((r) => setTimeout(r, delay));
        await http().delete(`/api/v1/kb/${racing.id}`).set(bearer(t.admin.token));
        await edit;
        await eventually(`no passages of the deleted entry anywhere (delete after ${delay} ms)`, async () => ({ pg: await stored(racing.id), es: await indexed(racing.id) }), ({ pg, es }) => pg.length === 0 && es.length === 0, 20_000);
      }
    });

    it('validates input and hides other tenants’ entries', async () => {
      expect((await http().post('/api/v1/kb').set(bearer(t.admin.token)).send({ title: '', content: 'x' })).status).toBe(422);
      expect((await http().post('/api/v1/kb').set(bearer(t.agent.token)).send({ title: 'x', content: 'y' })).status).toBe(403);
      const mine = await http().post('/api/v1/admin/knowledge').set(bearer(t.admin.token)).send({ title: 'Horario', content: 'Abrimos a las 9.' });
      expect(mine.status).toBe(201);
      expect((await http().get(`/api/v1/kb/${mine.body.id}`).set(bearer(other.admin.token))).status).toBe(404);
      const upd = await http().post('/api/v1/admin/knowledge').set(bearer(t.admin.token)).send({ id: mine.body.id, title: 'Horario', content: 'Abrimos a las 10.' });
      expect(upd.status).toBe(200);
      expect(upd.body.content).toBe('Abrimos a las 10.');
    });
  });

  describe('properties', () => {
    it('creates with derived rents, rejects inconsistent figures, and re-indexes on update', async () => {
      const res = await http().post('/api/v1/properties').set(bearer(t.admin.token)).send({ unique_id: 'P-1', title: 'Loft Providencia', property_address: 'Av. Providencia 100', size_sf: 1200, rent_per_sf_year: 30, city: 'Santiago', property_type: 'apartment' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ annual_rent: 36000, monthly_rent: 3000, listing_type: 'rent', indexing: { status: 'indexed' } });
      const bad = await http().post('/api/v1/properties').set(bearer(t.admin.token)).send({ unique_id: 'P-2', title: 'X', size_sf: 1000, rent_per_sf_year: 30, monthly_rent: 1 });
      expect(bad.status).toBe(422);
      expect(bad.body.error.details[0].path).toBe('monthly_rent');
      expect((await http().post('/api/v1/properties').set(bearer(t.admin.token)).send({ unique_id: 'P-1', title: 'dup' })).status).toBe(409);

      const patched = await http().patch(`/api/v1/properties/${res.body.id}`).set(bearer(t.agent.token)).send({ title: 'Penthouse Providencia', rent_per_sf_year: 40 });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ annual_rent: 48000, monthly_rent: 4000 });
      const q = await http().get('/api/v1/properties').query({ q: 'penthouse', city: 'Santiago' }).set(bearer(t.agent.token));
      expect(q.body.data[0]).toMatchObject({ id: res.body.id, title: 'Penthouse Providencia' });
      expect((await http().patch(`/api/v1/properties/${res.body.id}`).set(bearer(other.admin.token)).send({ title: 'x' })).status).toBe(404);
    });

    it('derives the rents from the row as the edit before left it when edits arrive at once', async () => {
      for (let round = 0; round < 3; round++) {
        const created = (await http().post('/api/v1/properties').set(bearer(t.admin.token)).send({ unique_id: `RACE-${round}`, title: 'Oficina', size_sf: 1000, rent_per_sf_year: 24 })).body;
        const patch = (body: Record<string, unknown>) => http().patch(`/api/v1/properties/${created.id}`).set(bearer(t.admin.token)).send(body);
        const answers = await Promise.all([patch({ size_sf: 2000 }), patch({ rent_per_sf_year: 36 }), patch({ title: 'Oficina grande' })]);
        expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
        // Each started from a stale copy and wrote its own rents (36,000 or 48,000 for 2,000 × 36).
        const row = (await http().get(`/api/v1/properties/${created.id}`).set(bearer(t.admin.token))).body;
        expect(row).toMatchObject({ size_sf: 2000, rent_per_sf_year: 36, annual_rent: 72000, monthly_rent: 6000, title: 'Oficina grande' });
        expect((await patch({ title: 'Sigue editable' })).status).toBe(200);
      }
    });

    it('answers 422, never 500, for values their columns cannot hold, on create and update', async () => {
      const post = (body: Record<string, unknown>) => http().post('/api/v1/properties').set(bearer(t.admin.token)).send(body);
      const address = `${'Avenida Libertador Bernardo O’Higgins '.repeat(8).slice(0, 296)} 100`;
      expect(address).toHaveLength(300);
      // The key would be address|floor|suite: 305 characters.
      const unkeyed = await post({ property_address: address, suite: '12B' });
      expect(unkeyed.status).toBe(422);
      expect(unkeyed.body).toMatchObject({ status: 'error', error: { code: 'validation_error', details: [{ path: 'property_address', message: expect.stringContaining('unique_id') }] } });
      const nul = await post({ unique_id: 'LEN-0', title: 'Casa\u0000' });
      expect(nul.status).toBe(422);
      expect(nul.body.error.details).toEqual([expect.objectContaining({ path: 'title' })]);

      // With a unique_id it is stored; the title derived from it is shortened to its column.
      const keyed = await post({ unique_id: 'LEN-1', property_address: address, suite: '12B' });
      expect(keyed.status).toBe(201);
      expect([...keyed.body.title].length).toBeLessThanOrEqual(300);
      expect(keyed.body.title).toMatch(/^Avenida Libertador.*…$/);
      const patch = (body: Record<string, unknown>) => http().patch(`/api/v1/properties/${keyed.body.id}`).set(bearer(t.admin.token)).send(body);
      const patched = await patch({ property_address: address.replace('100', '200'), suite: '14C' });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ unique_id: 'LEN-1', property_address: address.replace('100', '200'), suite: '14C' });
      const badPatch = await patch({ description: 'broken \ud83d pair' });
      expect(badPatch.status).toBe(422);
      expect(badPatch.body.error.details).toEqual([expect.objectContaining({ path: 'description' })]);

      // Whatever validation misses, Postgres refusing a value is still the client's 422.
      const refused = await ctx.sql('select ?::int as n', ['2147483648']).catch((err: unknown) => err);
      expect(present(refused)).toMatchObject({ status: 422, code: 'validation_error' });
    });

    it('filters, sorts and pages from Postgres', async () => {
      const res = await http().get('/api/v1/properties').query({ city: 'austin', property_type: 'office', min_size: 1500, sort: '-size_sf', limit: 5 }).set(bearer(t.admin.token));
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeGreaterThan(0);
      for (const p of res.body.data) expect(p).toMatchObject({ city: 'Austin', property_type: 'office' });
      const sizes = res.body.data.map((p: { size_sf: number }) => p.size_sf);
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1500);
      expect((await http().get('/api/v1/properties').query({ min_price: 10, max_price: 1 }).set(bearer(t.admin.token))).status).toBe(422);
      expect((await http().get('/api/v1/properties').query({ sort: 'drop table' }).set(bearer(t.admin.token))).status).toBe(422);
      // An empty parameter is one not given (it read as 0, so max_size= matched nothing); numbers are decimal text.
      const list = (query: string) => http().get(`/api/v1/properties?city=austin&${query}`).set(bearer(t.admin.token));
      const all = await list('');
      const blank = await list('max_size=&min_price=&limit=');
      expect(blank.status).toBe(200);
      expect(blank.body.data.map((p: { id: string }) => p.id)).toEqual(all.body.data.map((p: { id: string }) => p.id));
      expect(blank.body.data.length).toBeGreaterThan(0);
      for (const query of ['min_size=0x10', 'limit=1e1.5', 'min_price=1&min_price=2', 'max_rent=Infinity']) {
        expect({ query, status: (await list(query)).status }).toEqual({ query, status: 422 });
      }
      expect((await list('min_size=1.5e3&limit=5')).body.data.every((p: { size_sf: number }) => p.size_sf >= 1500)).toBe(true);
    });

    it('takes numbers in a body as numbers or decimal text, nothing else', async () => {
      const post = (body: Record<string, unknown>) => http().post('/api/v1/properties').set(bearer(t.admin.token)).send({ title: 'Bodega Quilicura', ...body });
      for (const price of [true, [1], '0x10', {}]) {
        const res = await post({ unique_id: `NUM-${JSON.stringify(price)}`, price });
        expect({ price, status: res.status, path: res.body.error?.details?.[0]?.path }).toEqual({ price, status: 422, path: 'price' });
      }
      const text = await post({ unique_id: 'NUM-text', price: '125000.50' });
      expect(text.status).toBe(201);
      expect(text.body.price).toBe(125000.5);
    });

    it('finds a Spanish-described listing from an English question with structured filters', async () => {
      await http().post('/api/v1/properties').set(bearer(t.admin.token)).send({ unique_id: 'ES-1', title: 'Departamento luminoso en Ñuñoa', description: 'Departamento de 2 dormitorios con estacionamiento y bodega', city: 'Santiago', listing_type: 'sale', price: 150000, bedrooms: 2 }).expect(201);
      const res = await http().get('/api/v1/properties').query({ q: 'two bedroom apartment with parking', listing_type: 'sale', max_price: 200000 }).set(bearer(t.admin.token));
      expect(res.body.data[0]).toMatchObject({ unique_id: 'ES-1' });
      const none = await http().get('/api/v1/properties').query({ q: 'apartment', listing_type: 'sale', max_price: 1000 }).set(bearer(t.admin.token));
      expect(none.body.data.find((p: { unique_id: string }) => p.unique_id === 'ES-1')).toBeUndefined();
    });
  });

  describe('reindex', () => {
    it('rebuilds from Postgres into a new index and swaps the alias while searches keep answering', async () => {
      const alias = aliasName(ctx.config.ELASTICSEARCH_INDEX_PREFIX, 'properties', t.brokerId);
      const before = Object.keys(await ctx.es.indices.getAlias({ name: alias }));
      const total = (await ctx.sql<{ n: number }>('select count(*)::int as n from properties where tenant_id = ?', [t.brokerId]))[0]!.n;
      let searching = true;
      const answers: number[] = [];
      const loop = (async () => {
        while (searching) {
          const r = await http().get('/api/v1/properties').query({ q: 'office Austin', limit: 5 }).set(bearer(t.admin.token));
          answers.push(r.status === 200 ? r.body.data.length : -r.status);
        }
      })();
      const res = await http().post('/api/v1/search/reindex').query({ wait: 'true' }).set(bearer(t.admin.token));
      searching = false;
      await loop;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'completed', workflow_id: `sync:${t.brokerId}`, properties: total });
      await maybeCaptureHistory(ctx.temporal.client.workflow.getHandle(res.body.workflow_id), 'search-sync');
      const after = Object.keys(await ctx.es.indices.getAlias({ name: alias }));
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(before[0]);
      expect(await ctx.es.indices.exists({ index: before[0]! })).toBe(false);
      expect(await esCount(t.brokerId, 'properties')).toBe(total);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((n) => n > 0)).toBe(true);
      expect((await http().post('/api/v1/documents/reindex').set(bearer(t.agent.token))).status).toBe(403);
    });

    it('serves seed 000’s upload and sync paths', async () => {
      const up = await upload(t.admin.token, [['seed.json', JSON.stringify([{ unique_id: 'S0-1', property_address: '5 Pine St', size_sf: 800, rent_per_sf_year: 45 }])]], '/upload_docs');
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({ status: 'success', message: 'Documents processed successfully', vector_db_updated: true, processed_files: [{ filename: 'seed.json', type: 'json', records_inserted: 1, rejected_records: 0, errors: [] }] });
      expect(up.body.processing_time).toEqual(expect.any(Number));
      const sync = await http().post('/admin/sync-vector-db').set(bearer(t.admin.token));
      expect(sync.status).toBe(200);
      expect(sync.body).toMatchObject({ status: 'success', message: 'Vector database sync completed successfully' });
    });
  });
});

describe('embedder change', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    await ctx.startWorker();
  });
  afterAll(() => ctx.close());

  it('rebuilds a tenant’s indices built by another embedder, and leaves current ones alone', async () => {
    const { LocalEmbedder } = await import('../../src/embeddings');
    const { ensureAlias, aliasTarget } = await import('../../src/search/indices');
    const { rebuildStaleIndices } = await import('../../src/knowledge/stale-indices');
    const { randomUUID } = await import('node:crypto');
    const tenantId = randomUUID();
    const prefix = ctx.config.ELASTICSEARCH_INDEX_PREFIX;
    const alias = await ensureAlias(ctx.es, prefix, 'knowledge', tenantId, new LocalEmbedder(64));
    const embedder = createEmbedder(ctx.config);
    const started = await rebuildStaleIndices({ es: ctx.es, temporal: ctx.temporal, config: ctx.config, embedder });
    expect(started).toContain(tenantId);
    await ctx.temporal.client.workflow.getHandle(`sync:${tenantId}`).result();
    const target = await aliasTarget(ctx.es, alias);
    expect(target!.meta).toMatchObject({ embedder: embedder.id, dimensions: embedder.dimensions });
    expect(await rebuildStaleIndices({ es: ctx.es, temporal: ctx.temporal, config: ctx.config, embedder })).not.toContain(tenantId);
  });
});
