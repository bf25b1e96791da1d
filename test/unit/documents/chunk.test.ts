import { chunkText } from '../../../src/documents';

const SENTENCES = 'La oficina tiene vista al cerro. Incluye dos estacionamientos. El edificio cuenta con gimnasio y sala de reuniones. Se aceptan mascotas pequeñas.';

/** A long text of varied words, deterministic. */
function prose(words: number): string {
  const vocabulary = ['arriendo', 'oficina', 'Providencia', 'metros', 'cuadrados', 'ubicación', 'céntrica', 'señor', 'Núñez', 'UF', 'estacionamiento', 'bodega', 'ascensor', 'año', 'contrato'];
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(vocabulary[(i * 7 + (i >> 3)) % vocabulary.length] + (i % 13 === 12 ? '.' : ''));
  return out.join(' ');
}

describe('chunkText', () => {
  it('returns nothing for empty or blank text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText(' \n\t\r\n  \u00a0')).toEqual([]);
  });

  it('normalizes whitespace: wrapped lines join, paragraphs stay apart', () => {
    expect(chunkText('  Primera   línea\r\nsigue aquí.\t \r\n \r\n\r\n\r\n Segundo\u00a0párrafo.  ')).toEqual(['Primera línea sigue aquí.\n\nSegundo párrafo.']);
  });

  it('keeps paragraphs whole and overlaps at a word boundary', () => {
    expect(chunkText('Primer párrafo corto.\n\nSegundo párrafo, también corto.\n\nTercero.', { maxChars: 60, overlapChars: 20 })).toEqual([
      'Primer párrafo corto.\n\nSegundo párrafo, también corto.',
      'también corto.\n\nTercero.',
    ]);
  });

  it('splits a long paragraph at sentence ends', () => {
    expect(chunkText(SENTENCES, { maxChars: 80, overlapChars: 20 })).toEqual([
      'La oficina tiene vista al cerro. Incluye dos estacionamientos.',
      'estacionamientos. El edificio cuenta con gimnasio y sala de reuniones.',
      'y sala de reuniones. Se aceptan mascotas pequeñas.',
    ]);
    expect(chunkText(SENTENCES, { maxChars: 80, overlapChars: 0 })).toEqual([
      'La oficina tiene vista al cerro. Incluye dos estacionamientos.',
      'El edificio cuenta con gimnasio y sala de reuniones.',
      'Se aceptan mascotas pequeñas.',
    ]);
  });

  it('splits a sentence longer than a chunk between words, filling each chunk', () => {
    expect(chunkText('palabra '.repeat(12), { maxChars: 40, overlapChars: 10 })).toEqual([
      'palabra palabra palabra palabra palabra',
      'palabra palabra palabra palabra palabra',
      'palabra palabra palabra palabra',
    ]);
  });

  it('cuts only a word longer than a chunk, and never overlaps from inside one', () => {
    expect(chunkText(`${'x'.repeat(50)} fin`, { maxChars: 20, overlapChars: 5 })).toEqual(['xxxxxxxxxxxxx', 'xxxxxxxxxxxxx', 'xxxxxxxxxxxxx', 'xxxxxxxxxxx fin']);
  });

  it('over a long text: bounded chunks, whole words, a real overlap, nothing lost', () => {
    const text = Array.from({ length: 12 }, (_, i) => prose(40 + i * 17)).join('\n\n');
    const words = new Set(text.split(/\s+/));
    const chunks = chunkText(text, { maxChars: 300, overlapChars: 60 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(300);
      expect(chunk).toBe(chunk.trim());
      for (const word of chunk.split(/\s+/)) expect(words).toContain(word);
    }
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1];
      // The longest start of this chunk that ends the previous one: the overlap.
      let overlap = 0;
      for (let n = Math.min(60, chunks[i].length); n > 0; n--) {
        if (previous.endsWith(chunks[i].slice(0, n))) {
          overlap = n;
          break;
        }
      }
      expect(overlap).toBeGreaterThan(20);
      expect(overlap).toBeLessThanOrEqual(60);
    }
    // Without overlap, the chunks are the text again.
    const plain = chunkText(text, { maxChars: 300, overlapChars: 0 });
    expect(plain.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
  });

  it('uses the documented defaults and is deterministic', () => {
    const text = prose(2000);
    const chunks = chunkText(text);
    expect(chunks).toEqual(chunkText(text, { maxChars: 1200, overlapChars: 150 }));
    expect(chunks).toEqual(chunkText(text));
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(1200);
    expect(Math.max(...chunks.map((c) => c.length))).toBeGreaterThan(1000);
  });

  it('keeps Spanish accents, composed', () => {
    expect(chunkText('¿Cuánto cuesta? Nu\u0301n\u0303ez responde: ¡sí!')).toEqual(['¿Cuánto cuesta? Núñez responde: ¡sí!']);
  });

  it('refuses sizes that cannot work', () => {
    expect(() => chunkText('a', { maxChars: 10 })).toThrow(RangeError);
    expect(() => chunkText('a', { maxChars: 100, overlapChars: 60 })).toThrow(RangeError);
    expect(() => chunkText('a', { maxChars: 100, overlapChars: -1 })).toThrow(RangeError);
  });
});
