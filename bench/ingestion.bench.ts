/**
 * Ingestion at scale: a generated 100,000-row listings CSV through the documentIngestion workflow
 * (parse, validate, upsert to Postgres, embed, bulk-index), against a raw `helpers.bulk` of the same
 * documents (vectors computed beforehand) into an index with the same mappings, in the same run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DocumentContentSchema, DocumentSchema, type Property } from '../src/db/entities';
import { TENANT_FILTER } from '../src/db/orm';
import { createEmbedder } from '../src/embeddings';
import { createSearchClient } from '../src/search/client';
import { propertyDocument, propertyText } from '../src/search/documents';
import { createIndex } from '../src/search/indices';
import { startIngestion } from '../src/knowledge/workflows';
import { listingsCsv } from '../test/support/listings';
import { round, type BenchResult } from './lib';
import { benchEnvironment } from './setup';
import { benchTenant, benchWorker } from './worker';

const ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 100_000);

export default async function bench(): Promise<BenchResult> {
  const { config, orm } = await benchEnvironment();
  const es = createSearchClient({ ...config, ELASTICSEARCH_REQUEST_TIMEOUT_MS: 120_000 });
  const run = await benchWorker({ ...config, INGEST_BATCH_SIZE: 1000 }, orm, es);
  const embedder = createEmbedder(config);
  try {
    const tenantId = await benchTenant(orm);
    const csv = Buffer.from(listingsCsv(ROWS, 'BENCH'));

    // The product's path: the document row, then the workflow, timed until its result.
    const em = orm.em.fork();
    em.setFilterParams(TENANT_FILTER, { tenantId });
    const documentId = randomUUID();
    const started = performance.now();
    await em.transactional(async (tx) => {
      tx.persist(tx.create(DocumentSchema, { id: documentId, tenantId, filename: 'bench.csv', type: 'csv', sizeBytes: csv.length, sha256: createHash('sha256').update(csv).digest('hex'), workflowId: `ingest:${tenantId}:${documentId}`, errors: [] }));
      tx.persist(tx.create(DocumentContentSchema, { documentId, tenantId, content: csv }));
    });
    const handle = await startIngestion(run, tenantId, { kind: 'document', documentId });
    const result = await handle.result();
    const pipelineS = (performance.now() - started) / 1000;
    if (result.indexed !== ROWS) throw new Error(`indexed ${result.indexed} of ${ROWS}`);

    // The baseline: the same documents, already embedded, straight into a fresh index.
    const properties = (await em.getConnection().execute<Array<Record<string, unknown>>>('select * from properties where tenant_id = ?', [tenantId])).map(toProperty);
    const vectors = await embedder.embed(properties.map(propertyText));
    const docs = properties.map((p, i) => ({ id: p.id, doc: propertyDocument(p, vectors[i]!) }));
    const index = `${config.ELASTICSEARCH_INDEX_PREFIX}-raw-${Date.now().toString(36)}`;
    await createIndex(es, index, 'properties', embedder);
    const rawStarted = performance.now();
    const stats = await es.helpers.bulk({
      datasource: docs,
      onDocument: (d) => [{ index: { _index: index, _id: d.id } }, d.doc],
      flushBytes: 5_000_000,
      concurrency: 2,
      refreshOnCompletion: index,
    });
    const rawS = (performance.now() - rawStarted) / 1000;
    await es.indices.delete({ index });
    if (stats.successful !== ROWS) throw new Error(`raw bulk indexed ${stats.successful} of ${ROWS}`);

    const embedStarted = performance.now();
    await embedder.embed(properties.slice(0, 10_000).map(propertyText));
    const embedPerS = 10_000 / ((performance.now() - embedStarted) / 1000);

    const pipelineRate = ROWS / pipelineS;
    const rawRate = ROWS / rawS;
    return {
      name: 'ingestion',
      description: `${ROWS.toLocaleString('en-US')}-row listings CSV: documentIngestion workflow end to end vs raw helpers.bulk of the same documents`,
      rows: [
        { variant: 'documentIngestion workflow (parse, validate, upsert, embed, index)', rows: ROWS, seconds: round(pipelineS, 1), rows_per_s: Math.round(pipelineRate) },
        { variant: 'raw helpers.bulk (pre-embedded)', rows: ROWS, seconds: round(rawS, 1), rows_per_s: Math.round(rawRate) },
        { variant: 'local embedder alone', rows: 10_000, seconds: round(10_000 / embedPerS, 2), rows_per_s: Math.round(embedPerS) },
      ],
      figures: { pipeline_rows_per_s: Math.round(pipelineRate), raw_bulk_rows_per_s: Math.round(rawRate), pipeline_vs_raw_ratio: round(pipelineRate / rawRate, 3), csv_mib: round(csv.length / 2 ** 20, 1) },
    };
  } finally {
    await run.stop();
    await es.close();
    await orm.close(true);
  }
}

function toProperty(r: Record<string, unknown>): Property {
  return {
    id: r.id, tenantId: r.tenant_id, externalId: r.external_id, documentId: r.document_id, title: r.title, address: r.address, floor: r.floor, suite: r.suite, city: r.city,
    neighborhood: r.neighborhood, propertyType: r.property_type, listingType: r.listing_type, status: r.status, sizeSf: r.size_sf, rentPerSfYear: r.rent_per_sf_year,
    annualRent: r.annual_rent, monthlyRent: r.monthly_rent, price: r.price, bedrooms: r.bedrooms, bathrooms: r.bathrooms, brokerEmail: r.broker_email, gciOn3Years: r.gci_on_3_years,
    description: r.description, extra: r.extra, createdAt: new Date(r.created_at as string), updatedAt: new Date(r.updated_at as string),
  } as Property;
}
