/**
 * Text normalization shared by the local embedder and the keyword field of the search indices, so
 * what a customer types and what a document says meet in the same form on any Elasticsearch
 * distribution (the minimal one the local stack runs ships no language analyzers).
 */

const STOPWORDS = new Set(
  (
    'a al algo algun alguna algunas alguno algunos ante antes como con contra cual cuando de del desde donde durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estaba estan estar este esto estos fue ha hay la las le les lo los mas me mi mis mucho muy nada ni no nos o otra otro para pero poco por porque que quien se sea ser si sin sobre son su sus tambien te tengo tiene todo tu tus un una uno unos y ya yo ' +
    'an and any are as at be been but by can could did do does for from had has have he her his how i if in into is it its just me my no not of on or our she so than that the their them then there these they this those to too up us was we were what when where which who will with would you your'
  ).split(' '),
);

/**
 * Bilingual domain vocabulary: both languages' words for one idea map to one concept token, which
 * is what lets "departamento en arriendo" find "apartment for rent" without a neural model.
 */
const CONCEPTS: Record<string, string[]> = {
  apartment: ['apartment', 'apartments', 'apartamento', 'apartamentos', 'departamento', 'departamentos', 'depto', 'deptos', 'flat', 'flats', 'condo', 'condos', 'piso', 'pisos'],
  house: ['house', 'houses', 'home', 'homes', 'casa', 'casas', 'vivienda', 'viviendas', 'chalet'],
  office: ['office', 'offices', 'oficina', 'oficinas', 'coworking'],
  retail: ['retail', 'shop', 'shops', 'store', 'storefront', 'local', 'locales', 'tienda', 'comercial'],
  land: ['land', 'lot', 'lots', 'plot', 'terreno', 'terrenos', 'parcela', 'parcelas', 'sitio'],
  warehouse: ['warehouse', 'warehouses', 'industrial', 'bodega', 'bodegas', 'galpon', 'nave'],
  rent: ['rent', 'rental', 'rentals', 'lease', 'leasing', 'renta', 'alquiler', 'alquilar', 'arriendo', 'arrendar', 'arriendan'],
  sale: ['sale', 'sell', 'buy', 'purchase', 'venta', 'vender', 'comprar', 'compra', 'vende', 'venden'],
  bedroom: ['bedroom', 'bedrooms', 'bed', 'beds', 'dormitorio', 'dormitorios', 'habitacion', 'habitaciones', 'pieza', 'piezas', 'recamara', 'recamaras'],
  bathroom: ['bathroom', 'bathrooms', 'bath', 'baths', 'bano', 'banos'],
  parking: ['parking', 'garage', 'estacionamiento', 'estacionamientos', 'cochera', 'garaje'],
  price: ['price', 'prices', 'cost', 'costs', 'precio', 'precios', 'costo', 'valor', 'cuesta', 'cuanto'],
  downtown: ['downtown', 'centro', 'center', 'centre', 'city'],
  pet: ['pet', 'pets', 'mascota', 'mascotas', 'perro', 'perros', 'gato', 'gatos'],
  pool: ['pool', 'piscina', 'alberca'],
  garden: ['garden', 'yard', 'jardin', 'patio'],
  furnished: ['furnished', 'amoblado', 'amoblada', 'amueblado', 'amueblada'],
  visit: ['visit', 'visits', 'tour', 'showing', 'viewing', 'visita', 'visitas', 'visitar', 'agendar', 'appointment', 'cita'],
  mortgage: ['mortgage', 'loan', 'financing', 'hipoteca', 'hipotecario', 'credito', 'financiamiento', 'pie'],
  size: ['size', 'area', 'sqft', 'sf', 'm2', 'metros', 'superficie', 'tamano'],
  schedule: ['hours', 'schedule', 'open', 'horario', 'horarios', 'abierto', 'atencion'],
  commission: ['commission', 'fee', 'fees', 'comision', 'comisiones', 'honorarios'],
};
const CONCEPT_OF = new Map<string, string>();
for (const [concept, words] of Object.entries(CONCEPTS)) for (const w of words) CONCEPT_OF.set(w, concept);

/** Lower-case, accents folded (á→a, ñ→n), punctuation as spaces. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * Plurals only ("oficinas" → "oficina", "properties" → "property"): anything more aggressive
 * merges unrelated words in one language or the other. The embedder's character n-grams cover
 * the remaining inflections.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /^\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

export interface AnalyzedText {
  /** Stemmed content words, in order. */
  terms: string[];
  /** Concept tokens (`@apartment`) for words of the bilingual vocabulary. */
  concepts: string[];
}

/** The terms and concepts of a text: what both the embedder and the keyword field index. */
export function analyze(text: string): AnalyzedText {
  const terms: string[] = [];
  const concepts: string[] = [];
  for (const word of foldText(text).split(' ')) {
    if (!word || STOPWORDS.has(word)) continue;
    const concept = CONCEPT_OF.get(word);
    if (concept) concepts.push(`@${concept}`);
    terms.push(stem(word));
  }
  return { terms, concepts };
}

/** The keyword-search form of a text: stemmed terms plus concept tokens, space separated. */
export function searchText(text: string): string {
  const { terms, concepts } = analyze(text);
  return [...terms, ...concepts].join(' ');
}
