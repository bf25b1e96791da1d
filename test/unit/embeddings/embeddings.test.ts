import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpEmbedder, LocalEmbedder, EmbeddingError, createEmbedder } from '../../../src/embeddings';
import { analyze, foldText, searchText } from '../../../src/embeddings/text';
import { loadConfig } from '../../../src/config';

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('text analysis', () => {
  it('folds accents and case, drops stopwords, strips plurals and adds bilingual concepts', () => {
    expect(foldText('¿Cuánto cuesta el Departamento en Ñuñoa?')).toBe('cuanto cuesta el departamento en nunoa');
    const { terms, concepts } = analyze('Los departamentos en arriendo');
    expect(terms).toEqual(['departamento', 'arriendo']);
    expect(concepts).toEqual(['@apartment', '@rent']);
    expect(searchText('Apartments for rent')).toBe('apartment rent @apartment @rent');
  });
});

describe('local embedder', () => {
  const embedder = new LocalEmbedder(384);
  const one = (t: string) => embedder.embedOne(t);

  it('is deterministic, unit length and names its size', async () => {
    expect(embedder.id).toBe('local-hash-v1/384');
    const [a, b] = await embedder.embed(['Oficina en el centro', 'Oficina en el centro']);
    expect(a).toEqual(b);
    expect(a).toHaveLength(384);
    expect(Math.abs(cosine(a!, a!) - 1)).toBeLessThan(1e-9);
  });

  it('gives texts with nothing to index a non-zero vector (cosine indices refuse zero vectors)', () => {
    for (const t of ['', 'el de la', '¿?']) expect(Math.abs(cosine(one(t), one(t)) - 1)).toBeLessThan(1e-9);
  });

  it('ranks a Spanish listing closest to the English question about the same thing', () => {
    const question = one('apartment for rent with parking');
    const match = cosine(question, one('Departamento en arriendo con estacionamiento'));
    const office = cosine(question, one('Oficina en venta en el centro'));
    const unrelated = cosine(question, one('Horario de atención de lunes a viernes'));
    expect(match).toBeGreaterThan(office);
    expect(office).toBeGreaterThan(unrelated - 0.05);
    expect(match).toBeGreaterThan(0.3);
  });

  it('matches inflections and typos through character trigrams', () => {
    const q = one('departamentos luminosos');
    expect(cosine(q, one('departamento luminoso'))).toBeGreaterThan(cosine(q, one('bodega industrial')) + 0.3);
    expect(cosine(one('estacionamiento'), one('estacionamento'))).toBeGreaterThan(cosine(one('estacionamiento'), one('piscina')) + 0.3);
  });
});

describe('HTTP embedder (OpenAI-compatible /v1/embeddings)', () => {
  let server: http.Server;
  let url: string;
  const requests: Array<{ auth?: string; body: { model: string; input: string[]; dimensions: number } }> = [];
  let respond: (body: { input: string[]; dimensions: number }) => { status: number; body: unknown } = () => ({ status: 500, body: {} });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as { model: string; input: string[]; dimensions: number };
        requests.push({ auth: req.headers.authorization, body });
        const out = req.url === '/v1/embeddings' ? respond(body) : { status: 404, body: {} };
        res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => (requests.length = 0));

  it('batches, keeps the input order whatever the answer order, normalizes and sends the key', async () => {
    respond = ({ input, dimensions }) => ({
      status: 200,
      body: { data: input.map((t, index) => ({ index, embedding: Array.from({ length: dimensions }, (_, i) => (i === 0 ? t.length : 1)) })).reverse() },
    });
    const embedder = new HttpEmbedder({ url, apiKey: 'sk-test', model: 'm', dimensions: 4, timeoutMs: 2000, batchSize: 2 });
    const vectors = await embedder.embed(['a', 'bbb', 'cc']);
    expect(requests.map((r) => r.body.input)).toEqual([['a', 'bbb'], ['cc']]);
    expect(requests[0]).toMatchObject({ auth: 'Bearer sk-test', body: { model: 'm', dimensions: 4 } });
    expect(vectors.map((v) => Math.round((v[0]! / v[1]!) * 1000) / 1000)).toEqual([1, 3, 2]);
    for (const v of vectors) expect(Math.abs(cosine(v, v) - 1)).toBeLessThan(1e-9);
    expect(embedder.id).toBe('http:m/4');
  });

  it('says whether a failure is worth retrying', async () => {
    const embedder = new HttpEmbedder({ url, model: 'm', dimensions: 4, timeoutMs: 2000 });
    respond = () => ({ status: 429, body: { error: 'slow down' } });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ retryable: true, status: 429 });
    respond = () => ({ status: 401, body: { error: 'bad key' } });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ retryable: false, status: 401 });
    respond = () => ({ status: 200, body: { data: [{ index: 0, embedding: [1, 2] }] } });
    await expect(embedder.embed(['x'])).rejects.toThrow(/2 dimensions/);
    const down = new HttpEmbedder({ url: 'http://127.0.0.1:1', model: 'm', dimensions: 4, timeoutMs: 500 });
    await expect(down.embed(['x'])).rejects.toBeInstanceOf(EmbeddingError);
  });

  it('is chosen by configuration, which refuses http without a URL', () => {
    expect(createEmbedder(loadConfig({ EMBEDDINGS_PROVIDER: 'http', EMBEDDINGS_URL: url, EMBEDDINGS_DIMENSIONS: '8' })).id).toBe('http:text-embedding-3-small/8');
    expect(createEmbedder(loadConfig({})).id).toBe('local-hash-v1/384');
    expect(() => loadConfig({ EMBEDDINGS_PROVIDER: 'http' })).toThrow(/EMBEDDINGS_URL/);
  });
});
