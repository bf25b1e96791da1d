import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'csv-parse';
import { topics } from '../contracts';
import { ValidationError } from '../errors';
import { publishEvent } from '../events/bus';
import { normalizeEmail, normalizePhone } from './service';

const COLUMNS = ['phone', 'name', 'email', 'tags'] as const;
const BATCH = 1000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Invalid rows reported back in full; beyond this only counted. */
const MAX_REPORTED = 1000;

export interface ImportResult {
  imported: number;
  duplicates: number;
  invalid: number;
  invalid_rows: Array<{ row: number; reason: string }>;
}

/** Fails the stream on the first byte sequence that is not UTF-8, wherever it falls. */
class Utf8Guard extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.decode(chunk, { stream: true });
      done(null, chunk);
    } catch {
      done(new ValidationError('The file is not UTF-8 text', [{ path: 'file', message: 'not UTF-8' }]));
    }
  }
}

/**
 * Streams a CSV of leads (seed 001's columns: phone, name, email, tags) into the tenant, in one
 * transaction: a file that is broken as a whole (wrong header, broken quoting, not UTF-8) imports
 * nothing; invalid rows are skipped and reported; rows whose phone or email already exists count
 * as duplicates. Memory stays flat: rows go to Postgres in batches as they are parsed.
 */
export async function importLeadsCsv(em: EntityManager, input: { tenantId: string; path: string; region: string; actorId: string }): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, duplicates: 0, invalid: 0, invalid_rows: [] };
  const invalid = (row: number, reason: string) => {
    result.invalid++;
    if (result.invalid_rows.length < MAX_REPORTED) result.invalid_rows.push({ row, reason });
  };

  await em.transactional(async (tx) => {
    let batch: Array<[string | null, string | null, string | null, string]> = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      const values = rows.map(() => `(gen_random_uuid(), ?, ?, ?, ?, ?::jsonb, 'import', '{}'::jsonb, now(), now(), now())`).join(',');
      const inserted = await tx.execute<Array<{ id: string }>>(
        `insert into customers (id, tenant_id, phone, name, email, tags, source, preferences, stage_changed_at, created_at, updated_at)
         values ${values} on conflict do nothing returning id`,
        rows.flatMap(([phone, name, email, tags]) => [input.tenantId, phone, name, email, tags]),
      );
      result.imported += inserted.length;
      result.duplicates += rows.length - inserted.length;
    };

    // Within one file, the first row with a phone or email wins; later ones are duplicates.
    const seenPhones = new Set<string>();
    const seenEmails = new Set<string>();
    let line = 1;
    const parser = parse({ bom: true, columns: (header: string[]) => checkHeader(header), skip_empty_lines: true, trim: true, relax_column_count: false, max_record_size: 64 * 1024 });
    const sink = new Transform({
      objectMode: true,
      transform: (record: Record<string, string>, _enc, done) => {
        line++;
        const row = line;
        const phone = record.phone ? normalizePhone(record.phone, input.region) : null;
        const email = record.email ? normalizeEmail(record.email) : null;
        const reason =
          Object.values(record).some((v) => v.includes('\u0000')) ? 'contains a NUL character, which cannot be stored'
          : record.phone && !phone ? `invalid phone "${record.phone.slice(0, 40)}"`
          : record.email && !EMAIL.test(email!) ? `invalid email "${record.email.slice(0, 80)}"`
          : !phone && !email ? 'a phone or an email is required'
          : null;
        if (reason) {
          invalid(row, reason);
          return done();
        }
        if ((phone && seenPhones.has(phone)) || (email && seenEmails.has(email))) {
          result.duplicates++;
          return done();
        }
        if (phone) seenPhones.add(phone);
        if (email) seenEmails.add(email);
        const tags = (record.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean).slice(0, 50);
        batch.push([phone, record.name?.slice(0, 200) || null, email, JSON.stringify(tags)]);
        if (batch.length >= BATCH) flush().then(() => done(), done);
        else done();
      },
      flush: (done) => void flush().then(() => done(), done),
    });
    try {
      await pipeline(fs.createReadStream(input.path), new Utf8Guard(), parser, sink);
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      const e = err as { code?: string; lines?: number; message?: string };
      if (e.code?.startsWith('CSV_')) throw new ValidationError(`The CSV is malformed near line ${e.lines ?? line}: ${e.message}`, [{ path: 'file', message: e.code }]);
      throw err;
    }
    if (result.imported > 0) {
      await publishEvent(tx, { topic: topics.tenant(input.tenantId), tenantId: input.tenantId, type: 'leads.imported', payload: { imported: result.imported, actor_id: input.actorId } });
    }
  });
  return result;
}

function checkHeader(header: string[]): string[] {
  const names = header.map((h) => h.trim().toLowerCase());
  const unknown = names.filter((n) => !(COLUMNS as readonly string[]).includes(n));
  if (unknown.length || !names.some((n) => n === 'phone' || n === 'email') || new Set(names).size !== names.length) {
    throw new ValidationError(`CSV columns must be among ${COLUMNS.join(', ')} and include phone or email`, [{ path: 'file', message: `header: ${header.join(',')}` }]);
  }
  return names;
}
