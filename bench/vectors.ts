/**
 * Deterministic synthetic embeddings for retrieval benchmarks.
 *
 * Uniform random vectors make every ANN index look wrong (no neighbourhood structure, all
 * distances nearly equal), so these imitate sentence embeddings instead: a Zipf-sized mixture of
 * topic clusters grouped under broader themes, all sharing one common direction (embedding spaces
 * are anisotropic), and each cluster spread over a low-dimensional subspace of its own (text
 * embeddings have an intrinsic dimension far below the nominal one) plus isotropic noise.
 * Cosines come out near those of a small sentence model: ~0.1 unrelated, ~0.3 same theme,
 * ~0.6 same topic, ~0.8–0.9 for a nearest neighbour.
 */

/** Bump when the generator's output changes, so cached ground truth is not reused. */
export const GENERATOR_VERSION = 1;

export interface MixtureOptions {
  dim: number;
  seed: number;
  /** Topic clusters; ~500 by default. */
  clusters?: number;
  /** Clusters per broader theme. */
  clustersPerTheme?: number;
  /** Dimension of each cluster's own subspace. */
  subspaceDim?: number;
}

/** sfc32 seeded through splitmix32: small, fast and identical on every platform. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller, both values used). */
function gaussian(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const u = 1 - uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

function randomUnit(dim: number, normal: () => number): Float64Array {
  const v = new Float64Array(dim);
  for (let i = 0; i < dim; i++) v[i] = normal();
  return scaleToUnit(v);
}

function scaleToUnit<T extends Float64Array | Float32Array>(v: T): T {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

export class EmbeddingMixture {
  readonly dim: number;
  readonly seed: number;
  private readonly centroids: Float64Array[];
  /** Per cluster, subspaceDim directions of unit length, row after row. */
  private readonly bases: Float64Array[];
  private readonly spreads: Float64Array;
  /** Cumulative cluster weights for sampling. */
  private readonly cumulative: Float64Array;
  private readonly subspaceDim: number;
  private static readonly NOISE = 0.35;

  constructor(opts: MixtureOptions) {
    const { dim, seed } = opts;
    const clusters = opts.clusters ?? 500;
    const perTheme = opts.clustersPerTheme ?? 10;
    this.subspaceDim = opts.subspaceDim ?? 12;
    this.dim = dim;
    this.seed = seed;
    const uniform = prng(seed);
    const normal = gaussian(uniform);
    const common = randomUnit(dim, normal);
    const themes = Array.from({ length: Math.ceil(clusters / perTheme) }, () => randomUnit(dim, normal));
    this.centroids = [];
    this.bases = [];
    this.spreads = new Float64Array(clusters);
    const weights = new Float64Array(clusters);
    for (let k = 0; k < clusters; k++) {
      const own = randomUnit(dim, normal);
      const theme = themes[Math.floor(k / perTheme)]!;
      const c = new Float64Array(dim);
      for (let i = 0; i < dim; i++) c[i] = 0.5 * common[i]! + 0.7 * theme[i]! + own[i]!;
      this.centroids.push(scaleToUnit(c));
      const basis = new Float64Array(this.subspaceDim * dim);
      for (let r = 0; r < this.subspaceDim; r++) basis.set(randomUnit(dim, normal), r * dim);
      this.bases.push(basis);
      this.spreads[k] = 0.55 + 0.45 * uniform();
      // Zipf-like sizes: a few large topics, a long tail of small ones.
      weights[k] = 1 / Math.pow(k + 1, 0.7);
    }
    this.cumulative = new Float64Array(clusters);
    let total = 0;
    for (let k = 0; k < clusters; k++) this.cumulative[k] = total += weights[k]!;
    for (let k = 0; k < clusters; k++) this.cumulative[k]! /= total;
  }

  /**
   * `count` unit vectors, row after row. Each stream is an independent sequence of draws from the
   * same mixture (the corpus on one, queries on another), and a longer sample of a stream starts
   * with the shorter one.
   */
  sample(count: number, stream: number, into?: Float32Array): Float32Array {
    const { dim, subspaceDim } = this;
    const out = into ?? new Float32Array(count * dim);
    if (out.length < count * dim) throw new Error('output buffer too small');
    const uniform = prng((this.seed * 0x9e3779b1 + stream * 0x85ebca77) >>> 0);
    const normal = gaussian(uniform);
    const v = new Float64Array(dim);
    const coeff = new Float64Array(subspaceDim);
    const noise = EmbeddingMixture.NOISE / Math.sqrt(dim);
    for (let n = 0; n < count; n++) {
      const k = this.pickCluster(uniform());
      const centroid = this.centroids[k]!;
      const basis = this.bases[k]!;
      const spread = this.spreads[k]! / Math.sqrt(subspaceDim);
      for (let r = 0; r < subspaceDim; r++) coeff[r] = spread * normal();
      for (let i = 0; i < dim; i++) v[i] = centroid[i]! + noise * normal();
      for (let r = 0; r < subspaceDim; r++) {
        const c = coeff[r]!;
        const off = r * dim;
        for (let i = 0; i < dim; i++) v[i]! += c * basis[off + i]!;
      }
      scaleToUnit(v);
      const row = n * dim;
      for (let i = 0; i < dim; i++) out[row + i] = v[i]!;
    }
    return out;
  }

  private pickCluster(u: number): number {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
