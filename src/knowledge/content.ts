import type { EntityManager } from '@mikro-orm/postgresql';

/** An upload's bytes, read on their own so the document row never drags them along. */
export async function loadDocumentBytes(em: EntityManager, documentId: string): Promise<Buffer | null> {
  const rows = await em.execute<Array<{ content: Buffer }>>('select content from document_contents where document_id = ?', [documentId]);
  return rows[0]?.content ?? null;
}
