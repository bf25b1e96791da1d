import { analyze, foldText } from './text';
import type { Embedder } from './types';

const WEIGHTS = { term: 1, concept: 1.5, bigram: 0.6, trigram: 0.35 };

/** FNV-1a: fast, stable across processes and Node versions (unlike object hashing). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The default embedder: signed feature hashing of stemmed words, word pairs, character trigrams
 * and bilingual concept tokens, log-scaled and L2-normalized.
 *
 * What it captures: lexical overlap, including partial words (trigrams match "departamento" with
 * "departamentos" and survive typos), accent-insensitive Spanish and English, and the domain's
 * vocabulary across the two languages (casa ≈ house, arriendo ≈ rent). What it does not: general
 * synonyms and paraphrase outside that vocabulary, word sense, negation. It needs no network and
 * gives the same vector for the same text on every machine, which makes tests and benchmarks
 * reproducible; set EMBEDDINGS_PROVIDER=http for a neural model.
 */
export class LocalEmbedder implements Embedder {
  readonly id: string;

  constructor(readonly dimensions = 384) {
    this.id = `local-hash-v1/${dimensions}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    // feature → [weight, occurrences]; repeats count logarithmically so one word cannot dominate.
    const features = new Map<string, [number, number]>();
    const add = (feature: string, weight: number) => {
      const seen = features.get(feature);
      if (seen) seen[1] += 1;
      else features.set(feature, [weight, 1]);
    };
    const { terms, concepts } = analyze(text);
    for (const term of terms) {
      add(`w:${term}`, WEIGHTS.term);
      if (term.length >= 4 && !/^\d+$/.test(term)) {
        const padded = `<${term}>`;
        for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`, WEIGHTS.trigram);
      }
    }
    for (let i = 0; i + 1 < terms.length; i++) add(`b:${terms[i]} ${terms[i + 1]}`, WEIGHTS.bigram);
    for (const concept of concepts) add(concept, WEIGHTS.concept);
    // A text with nothing to index (empty, only stopwords) still needs a non-zero vector:
    // Elasticsearch refuses zero vectors under cosine similarity.
    if (features.size === 0) add(`empty:${foldText(text).slice(0, 64)}`, 1);

    const vector = new Float64Array(this.dimensions);
    for (const [feature, [weight, count]] of features) {
      const h = fnv1a(feature);
      const sign = (fnv1a(`s${feature}`) & 1) === 0 ? 1 : -1;
      vector[h % this.dimensions]! += sign * weight * (1 + Math.log(count));
    }
    let norm = 0;
    for (const x of vector) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      vector[0] = 1;
      norm = 1;
    }
    return Array.from(vector, (x) => x / norm);
  }
}
