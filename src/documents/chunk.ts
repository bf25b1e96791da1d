export interface ChunkOptions {
  /** Upper bound on a chunk's length, overlap included. */
  maxChars?: number;
  /** How much of the previous chunk's end (whole words) a chunk repeats at its start. */
  overlapChars?: number;
}

// Control characters that PDF extraction leaves behind; whitespace ones are handled as whitespace.
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f\u00ad\u200b\ufeff]/g;
// A sentence ends at . ! ? or … (with any closing quotes or brackets) followed by whitespace.
const SENTENCE_END = /(?<=[.!?…]["'»”’)\]]*)\s+/;

/** Paragraphs with their whitespace collapsed: a single line break inside one is a wrapped line. */
function paragraphs(text: string): string[] {
  return text
    .normalize('NFC')
    .replace(CONTROL, '')
    .replace(/\r\n?/g, '\n')
    .split(/\n[^\S\n]*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '');
}

/** Cuts a word longer than a chunk (a URL, base64), never between the halves of a surrogate pair. */
function cut(word: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; ) {
    let end = Math.min(i + size, word.length);
    if (end < word.length && /[\uD800-\uDBFF]/.test(word[end - 1])) end--;
    out.push(word.slice(i, end));
    i = end;
  }
  return out;
}

/** A unit the packer places whole, with the separator that joins it to what precedes it. */
interface Piece {
  text: string;
  separator: '\n\n' | ' ' | '';
}

/**
 * Splits a paragraph into pieces of at most `room` characters, as coarse as fit: the paragraph,
 * else its sentences, else (for a sentence too long) its words.
 */
function pieces(paragraph: string, room: number): Piece[] {
  const out: Piece[] = [];
  const units = paragraph.length <= room ? [paragraph] : paragraph.split(SENTENCE_END);
  for (const unit of units) {
    if (unit.length <= room) out.push({ text: unit, separator: ' ' });
    else {
      for (const word of unit.split(' ')) {
        if (word.length <= room) out.push({ text: word, separator: ' ' });
        else cut(word, room).forEach((part, i) => out.push({ text: part, separator: i === 0 ? ' ' : '' }));
      }
    }
  }
  out[0].separator = '\n\n';
  return out;
}

/** The last `size` characters of a chunk, starting on a word. */
function tail(chunk: string, size: number): string {
  if (size === 0) return '';
  let start = chunk.length - size;
  if (start <= 0) return chunk;
  if (!/\s/.test(chunk[start - 1])) {
    const space = chunk.slice(start).search(/\s/);
    if (space === -1) return '';
    start += space;
  }
  return chunk.slice(start).trim();
}

/**
 * Splits text into chunks for embedding and search: paragraphs are kept whole when they fit, then
 * split at sentence ends, then between words, so a chunk never ends mid-word (only a single word
 * longer than a chunk is cut). Each chunk after the first repeats the end of the previous one, so
 * that a fact straddling a boundary is still found. Same input, same chunks.
 */
export function chunkText(text: string, options: ChunkOptions = {}): string[] {
  const { maxChars = 1200, overlapChars = 150 } = options;
  if (!Number.isInteger(maxChars) || maxChars < 20) throw new RangeError('maxChars must be an integer of at least 20');
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars > maxChars / 2) throw new RangeError('overlapChars must be an integer between 0 and maxChars / 2');
  // Room for new text after the overlap and the separator ("\n\n" at most) that joins them.
  const room = maxChars - overlapChars - 2;
  const chunks: string[] = [];
  let current = '';
  for (const paragraph of paragraphs(text)) {
    for (const { text: piece, separator } of pieces(paragraph, room)) {
      if (current === '') current = piece;
      else if (current.length + separator.length + piece.length <= maxChars) current += separator + piece;
      else {
        chunks.push(current);
        const overlap = tail(current, overlapChars);
        // The part after a cut inside a long word continues it; a space would change the word.
        current = overlap ? overlap + (separator || ' ') + piece : piece;
      }
    }
  }
  if (current) chunks.push(current);
  return chunks;
}
