import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import type { AssistantProfile, ChatMessage, CollectedInfo, Language } from './types';

/**
 * Rule-based reading of customer messages in Spanish and English: the offline provider's
 * extraction, and the Anthropic provider's fallback when the model records nothing. Rules favour
 * precision: a fact missed is asked for again, a wrong fact is stored on the lead.
 */

/** Lower case without diacritics, for word lists. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Words of a text for counting: folded, split on anything that is not a letter or digit. */
export function words(text: string): string[] {
  return fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * A pattern source whose letters match either case, for keywords in patterns that must stay
 * case-sensitive elsewhere: with the `i` flag, `\p{Lu}` also matches lower-case letters.
 */
const ci = (source: string) => source.replace(/(\\.)|(\p{L})/gu, (_m, escaped: string | undefined, c: string) => escaped ?? (c.toLowerCase() === c.toUpperCase() ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`));
const trimPunctuation = (s: string) => s.replace(/^[\s,;:.!?¡¿"'«»“”()]+|[\s,;:.!?¡¿"'«»“”()]+$/gu, '');

// ---------------------------------------------------------------------------------------------
// Language

const ES_WORDS = new Set(
  'el la los las de del que y en un una unos unas por para con es son está esta estoy estamos mi mis tu su sus yo usted ustedes nosotros hola gracias buenas buenos días dias tardes noches quiero busco buscando necesito tengo tiene tienen hay me llamo nombre soy cuanto cuánto cuál cual cómo como dónde donde cuando cuándo pero también tambien muy sí si algo casa departamento depto arriendo arrendar comprar vender venta precio presupuesto dormitorios baños metros comuna zona meses año años semana favor puedo puede podría podria gustaría gustaria sobre hasta desde entre pero o ni aquí aqui ahora ya este esta eso esto'.split(' '),
);
const EN_WORDS = new Set(
  'the an and of to in is are am i i\'m im my your you we our hello hi hey thanks thank please looking want need have has there what which how where when who can could would like for with about from this that it its near buy rent sell price budget bedrooms bedroom bathrooms months month year years week apartment house condo office do does don\'t not yes just also any some around up between call name is it\'s be been will get much many'.split(' '),
);

/** How Spanish-looking and English-looking a text is. */
function languageScores(text: string): { es: number; en: number; words: number } {
  const ws = text
    .toLowerCase()
    .split(/[^\p{L}']+/u)
    .filter(Boolean);
  let es = 0;
  let en = 0;
  for (const w of ws) {
    const f = fold(w);
    if (ES_WORDS.has(w) || ES_WORDS.has(f)) es++;
    if (EN_WORDS.has(w)) en++;
  }
  // Accents, ñ and opening marks are strong signs of Spanish.
  es += 2 * (text.match(/[¿¡ñÑ]/g)?.length ?? 0) + (text.match(/[áéíóúÁÉÍÓÚ]/g)?.length ?? 0);
  return { es, en, words: ws.length };
}

/**
 * es or en from stopwords and Spanish marks. A short or ambiguous message takes the language of
 * the conversation so far (its latest customer turns), and Spanish when there is none.
 */
export function detectLanguage(message: string, history: ChatMessage[] = []): Language {
  const { es, en, words: count } = languageScores(message);
  const margin = Math.abs(es - en);
  const winner: Language = es > en ? 'es' : 'en';
  if (margin >= 2 || (margin === 1 && count >= 4)) return winner;
  for (let i = history.length - 1; i >= 0; i--) {
    const turn = history[i]!;
    if (turn.role !== 'user') continue;
    const s = languageScores(turn.content);
    if (s.es !== s.en) return s.es > s.en ? 'es' : 'en';
  }
  if (margin === 1) return winner;
  return 'es';
}

// ---------------------------------------------------------------------------------------------
// Asking for a person

const HUMAN_PATTERNS = [
  /(?:hablar|conversar|comunicarme|comunicarse|chatear)\s+con\s+(?:una?\s+)?(?:persona|humano|humana|agente|ejecutiv[oa]|asesor[a]?|corredor[a]?|vendedor[a]?|representante|alguien)/iu,
  /(?:quiero|necesito|prefiero|pido)\s+(?:una?\s+)?(?:persona\s+real|humano|agente|ejecutiv[oa]|asesor[a]?)(?!\p{L})/iu,
  /(?:p[aá]same|comun[ií]came|der[ií]vame|transfi[eé]reme)\s+(?:con|a)\s+(?:una?\s+)?(?:persona|humano|agente|ejecutiv[oa]|asesor[a]?)/iu,
  /atenci[oó]n\s+humana|persona\s+real|agente\s+humano/iu,
  /(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|some\s+)?(?:real\s+|actual\s+|live\s+)?(?:human|person|agent|representative|rep|someone|somebody|realtor|broker)(?!\p{L})/iu,
  /(?:transfer|connect|put)\s+me\s+(?:to|with|through\s+to)\s+(?:a\s+|an\s+)?(?:real\s+|live\s+)?(?:human|person|agent|representative)/iu,
  /\b(?:human\s+agent|real\s+person|live\s+agent|actual\s+person)\b/iu,
];
const NEGATION_BEFORE = /(?:\bno\b|\bnot\b|n't|\bnunca\b|\bnever\b|\bno\s+need\b)[^.!?]{0,25}$/iu;

/** The customer asks for a person, not merely mentions one ("no quiero hablar con un agente" is no). */
export function detectWantsHuman(message: string): boolean {
  for (const pattern of HUMAN_PATTERNS) {
    const m = pattern.exec(message);
    if (m && !NEGATION_BEFORE.test(message.slice(0, m.index))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Name

/** Words that end a name. */
const NAME_STOP = new Set(
  'y e and from de del desde con with i im i\'m busco quiero estoy tengo necesito looking want need have am soy mi my el la los las un una the a an para for por who que here aqui calling writing te le les pero but also tambien again nuevamente not no muy very and or o vivo live'.split(' '),
);
/** Capitalised words that follow "soy", "I'm" or "this is" without being a name. */
const NOT_NAMES = new Set(
  'de del la el los las un una muy nuevo nueva cliente interesado interesada dueno duena propietario propietaria corredor corredora from a an the looking interested not just still also here ready moving relocating trying currently sure fine good happy glad new calling writing in at on with so very back sorry available free planning thinking going searching wondering hoping selling buying renting retired married single ok okay yes no si hola hi hello thanks gracias english spanish ingles espanol ingeniero ingeniera abogado abogada medico medica doctor doctora arquitecto arquitecta profesor profesora estudiante empresario empresaria inversionista investor engineer lawyer teacher student'.split(
    ' ',
  ),
);

interface NameTrigger {
  pattern: RegExp;
  /** Whether the name must be capitalised to count ("soy de Santiago" is not a name). */
  capitalised: boolean;
}

const NAME_TRIGGERS: NameTrigger[] = [
  { pattern: /(?<!\p{L})me\s+llamo\s+/iu, capitalised: false },
  { pattern: /(?<!\p{L})mi\s+nombre\s+es\s+/iu, capitalised: false },
  { pattern: /(?<!\p{L})my\s+name\s+is\s+/iu, capitalised: false },
  { pattern: /(?<!\p{L})my\s+name['’]s\s+/iu, capitalised: false },
  { pattern: /(?<!\p{L})(?:nombre|name)\s*:\s*/iu, capitalised: false },
  { pattern: /(?<!\p{L})(?:te|le|les)\s+(?:habla|escribe)\s+/iu, capitalised: true },
  { pattern: /(?<!\p{L})soy\s+/iu, capitalised: true },
  { pattern: /(?<!\p{L})i['’]?m\s+/iu, capitalised: true },
  { pattern: /(?<!\p{L})i\s+am\s+/iu, capitalised: true },
  { pattern: /(?<!\p{L})this\s+is\s+/iu, capitalised: true },
  { pattern: /(?<!\p{L})call\s+me\s+/iu, capitalised: true },
];

function tidyNameToken(token: string): string {
  if (token === token.toLowerCase() || token === token.toUpperCase()) return token.charAt(0).toUpperCase() + token.slice(1).toLowerCase();
  return token;
}

/** Up to three name words from the start of `rest`. */
function takeName(rest: string, capitalised: boolean): string | undefined {
  const tokens: string[] = [];
  for (const raw of rest.split(/\s+/).slice(0, 3)) {
    const m = /^(\p{L}[\p{L}'’-]*)(\P{L}*)$/u.exec(raw);
    if (!m) break;
    const token = m[1]!;
    const isCapital = /^\p{Lu}/u.test(token);
    if (NAME_STOP.has(fold(token))) break;
    // After a capitalised first word, a lower-case word is the sentence going on.
    if ((capitalised || (tokens.length > 0 && /^\p{Lu}/u.test(tokens[0]!))) && !isCapital) break;
    tokens.push(token);
    if (m[2]) break;
  }
  if (tokens.length === 0) return undefined;
  const first = fold(tokens[0]!);
  if (first.length < 2 || NOT_NAMES.has(first)) return undefined;
  if (capitalised && tokens.length === 1 && /ing$/i.test(first)) return undefined;
  return tokens.map(tidyNameToken).join(' ');
}

function extractName(message: string): string | undefined {
  for (const { pattern, capitalised } of NAME_TRIGGERS) {
    const global = new RegExp(pattern.source, 'giu');
    for (const m of message.matchAll(global)) {
      const name = takeName(message.slice(m.index + m[0].length), capitalised);
      if (name) return name;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Contact details

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;

function extractEmail(message: string): string | undefined {
  return EMAIL.exec(message)?.[0].toLowerCase();
}

interface Span {
  start: number;
  end: number;
}

function findPhones(message: string, region: CountryCode): Array<Span & { e164: string }> {
  return findPhoneNumbersInText(message, region).map((f) => ({ start: f.startsAt, end: f.endsAt, e164: f.number.number }));
}

// ---------------------------------------------------------------------------------------------
// Location

const PLACE_WORD = String.raw`\p{Lu}[\p{L}'’-]*`;
const PLACE = String.raw`${PLACE_WORD}(?:\s+(?:(?:de|del|de\s+la|de\s+los|de\s+las|la|las|los|el|of|on)\s+)?${PLACE_WORD}){0,4}`;
const DIRECTIONS = 'norte|sur|oriente|poniente|centro|este|oeste|nororiente|suroriente|norponiente|surponiente|north|south|east|west|central|downtown';
const AREA_MODIFIERS = 'downtown|uptown|midtown|central|north|south|east|west|northern|southern|eastern|western|greater|centro\\s+de|center\\s+of|el\\s+centro\\s+de';
const MONTHS_ES = 'enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre';
const MONTHS_EN = 'january february march april may june july august september october november december';
const DAYS = 'lunes martes miercoles jueves viernes sabado domingo monday tuesday wednesday thursday friday saturday sunday';
/** Capitalised words after "en"/"in" that are not places. */
const NOT_PLACES = new Set(
  `${MONTHS_ES} ${MONTHS_EN} ${DAYS} uf usd clp us eur english spanish ingles espanol whatsapp email correo telefono instagram facebook google internet linea online i departamento depto casa oficina local terreno bodega parcela proyecto edificio apartment house condo office building project`.split(' '),
);
/** Where the customer lives or works now is not where they want to buy. */
const NOT_WANTED_PLACE_BEFORE = /(?:\b(?:live|lives|living|work|works|working|from)|(?<!\p{L})(?:vivo|vivimos|trabajo|trabajamos))\s+$/iu;

// Keywords match either case; place names must be capitalised, so no `i` flag here.
const LOCATION_PATTERNS: Array<{ pattern: RegExp; value: (m: RegExpMatchArray) => string }> = [
  {
    pattern: new RegExp(String.raw`(?<!\p{L})${ci('(?:comuna|municipio|municipality|ciudad|city|town)')}\s+(?:${ci('(?:de|del|of)')}\s+)?(${PLACE})`, 'gu'),
    value: (m) => m[1]!,
  },
  {
    pattern: new RegExp(
      String.raw`(?<!\p{L})(${ci('(?:zona|sector|barrio|neighbou?rhood|area|district)')})\s+(?:${ci('(?:de|del|of)')}\s+)?(${ci(`(?:${DIRECTIONS})`)}|${PLACE})(?!\p{L})`,
      'gu',
    ),
    value: (m) => `${m[1]!.toLowerCase()} ${m[2]!}`,
  },
  {
    pattern: new RegExp(
      // A capitalised article or modifier belongs to the name: "La Reina", "Central Park".
      String.raw`(?<!\p{L})${ci(String.raw`(?:en|in|near|cerca\s+de|por|around)`)}\s+(?:(?:la|el|the)\s+)?(?:(${AREA_MODIFIERS})\s+)?(${PLACE})`,
      'gu',
    ),
    value: (m) => (m[1] ? `${m[1].toLowerCase()} ${m[2]!}` : m[2]!),
  },
];

function extractLocation(message: string): string | undefined {
  for (const { pattern, value } of LOCATION_PATTERNS) {
    for (const m of message.matchAll(pattern)) {
      const place = m[m.length - 1]!;
      if (NOT_PLACES.has(fold(place.split(/\s+/)[0]!))) continue;
      if (NOT_WANTED_PLACE_BEFORE.test(message.slice(Math.max(0, m.index! - 20), m.index))) continue;
      return collapse(value(m));
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Budget

const NUM = String.raw`\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?`;
const CURRENCY_BEFORE = String.raw`US\$|USD\s?|CLP\s?|UF\s?|\$|€|£`;
const MAGNITUDE = String.raw`millones|millón|millon|mil|MM|mm|M(?![²2])|m(?![²2\p{L}])|k|K|million|millions|thousand|grand`;
const CURRENCY_AFTER = String.raw`UF|U\.F\.|USD|CLP|dólares|dolares|dollars|pesos|euros|EUR`;
const PERIOD = String.raw`al\s+mes|por\s+mes|mensuales|mensual|a\s+month|per\s+month|monthly|\/\s?mes|\/\s?mo(?:nth)?|al\s+año|por\s+año|a\s+year|per\s+year`;
const QUALIFIER = String.raw`hasta|máximo|maximo|como\s+máximo|unos|unas|alrededor\s+de|aproximadamente|aprox\.?|cerca\s+de|menos\s+de|no\s+más\s+de|up\s+to|under|below|less\s+than|no\s+more\s+than|max(?:imum)?|around|about|approximately|roughly|at\s+most`;
const AMOUNT_CORE = String.raw`(?:${CURRENCY_BEFORE})?[ \t]?(?:${NUM})(?:[ \t]*(?:${MAGNITUDE})(?!\p{L}))?(?:[ \t]*(?:de[ \t]+)?(?:${CURRENCY_AFTER})(?!\p{L}))?`;
const AMOUNT = new RegExp(
  String.raw`(?<qual>(?:${QUALIFIER})\s+(?:de\s+)?)?(?<core>${AMOUNT_CORE})(?:\s?(?<period>${PERIOD})(?!\p{L}))?`,
  'gu',
);
const RANGE = new RegExp(
  String.raw`(?<!\p{L})(?:entre|between|from|desde|de)\s+(?<a>${AMOUNT_CORE})\s*(?:y|and|to|a|-|–)\s*(?<b>${AMOUNT_CORE})(?:\s?(?<period>${PERIOD})(?!\p{L}))?`,
  'giu',
);
/** Money markers: a currency or a magnitude word makes a number an amount. */
const MONEY_MARKER = new RegExp(String.raw`(?:${CURRENCY_BEFORE})|(?:\d\s?(?:${MAGNITUDE})(?!\p{L}))|(?:${CURRENCY_AFTER})(?!\p{L})`, 'u');
/** Words that make a bare number a budget when they come shortly before it. */
const BUDGET_CUE = /(?:presupuesto|budget|pagar|pago|pay|afford|precio|price|valor|arriendo|rent|gastar|spend|invertir|invest|cr[eé]dito|loan|hipotecario|mortgage)[^.!?\d]{0,20}$/iu;
/** A price asked about or an income is not the customer's budget. */
const NOT_BUDGET_BEFORE = /(?:cuesta|cuestan|vale|valen|precio\s+(?:es|de)|el\s+precio|the\s+price(?:\s+is)?|price\s+is|costs?|is\s+priced\s+at|earn|earns|make|makes|gano|ganamos|sueldo|salario|salary|income|ingresos?)[^.!?\d]{0,12}$/iu;
/** Units after a number that make it something other than money. */
const NOT_MONEY_AFTER = /^\s*(?:m2|m²|mts|mt2|metros|sq|sf|ft|pies|square|dormitorios?|dorms?|habitaci|piezas?|bedrooms?|beds?|baños?|banos?|bathrooms?|baths?|meses|mes\b|months?|años?|anos?|years?|días|dias|days?|semanas?|weeks?|hijos?|kids?|children|personas?|people|%|hrs?|horas?|hours?|pisos?|floors?|estacionamientos?|parking|departamentos?|deptos?|casas?|apartments?|houses?|units?|unidades|oficinas?|offices?|locales)/iu;

function overlaps(span: Span, spans: Span[]): boolean {
  return spans.some((s) => span.start < s.end && s.start < span.end);
}

function isAmount(text: string, match: string, start: number, end: number, phones: Span[]): boolean {
  if (overlaps({ start, end }, phones)) return false;
  if (NOT_BUDGET_BEFORE.test(text.slice(Math.max(0, start - 40), start))) return false;
  if (NOT_MONEY_AFTER.test(text.slice(end))) return false;
  return MONEY_MARKER.test(match) || BUDGET_CUE.test(text.slice(Math.max(0, start - 40), start));
}

function extractBudget(message: string, phones: Span[]): string | undefined {
  for (const m of message.matchAll(RANGE)) {
    const start = m.index;
    const end = start + m[0].length;
    if (isAmount(message, m[0], start, end, phones)) return collapse(trimPunctuation(m[0]));
  }
  for (const m of message.matchAll(AMOUNT)) {
    const core = m.groups!.core!;
    if (!/\d/.test(core)) continue;
    const start = m.index;
    const end = start + m[0].length;
    // Judge the number itself; the qualifier and period only widen what is kept.
    const coreStart = start + (m.groups!.qual?.length ?? 0);
    const hasPeriod = Boolean(m.groups!.period);
    if (overlaps({ start: coreStart, end }, phones)) continue;
    if (NOT_MONEY_AFTER.test(message.slice(end))) continue;
    if (NOT_BUDGET_BEFORE.test(message.slice(Math.max(0, start - 40), start))) continue;
    if (!hasPeriod && !MONEY_MARKER.test(core) && !BUDGET_CUE.test(message.slice(Math.max(0, coreStart - 40), coreStart))) continue;
    return collapse(trimPunctuation(m[0]));
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Property type and size

/** Property types under English keys; the earliest mention in the message wins. */
const PROPERTY_TYPES: Array<[string, RegExp]> = [
  ['studio', /(?<!\p{L})(?:monoambientes?|studios?)(?!\p{L})/iu],
  ['townhouse', /(?<!\p{L})(?:townhouses?|town\s+houses?|casas?\s+pareadas?|adosadas?)(?!\p{L})/iu],
  ['condo', /(?<!\p{L})(?:condos?|condominiums?)(?!\p{L})/iu],
  ['apartment', /(?<!\p{L})(?:departamentos?|deptos?|dptos?|apartamentos?|apartments?|apts?|flats?)(?!\p{L})/iu],
  // "en casa" (at home), "open house" and "in-house" are not property types.
  ['house', /(?<!\p{L})(?<!(?<!\p{L})(?:en|desde|a|open)\s)(?<!in-)(?:casas?|houses?|chalets?)(?!\p{L})(?!\s+(?:matriz|hunting))/iu],
  // "your office" is the agency's.
  ['office', /(?<!\p{L})(?<!(?<!\p{L})(?:your|su|tu|sus|their|our|nuestra|vuestra|horario\s+de)\s)(?:oficinas?|offices?)(?!\p{L})(?!\s+hours)/iu],
  ['retail', /(?<!\p{L})(?:locales?\s+comerciales?|(?:un|el|los|unos)\s+locale?s?|retail|storefronts?|commercial\s+space|shop\s+space)(?!\p{L})/iu],
  ['land', /(?<!\p{L})(?:terrenos?|sitios?(?!\s+web)|parcelas?|lotes?|land|plots?|acreage|(?<!(?<!\p{L})(?:a|parking)\s)lots?(?!\s+of))(?!\p{L})/iu],
  ['warehouse', /(?<!\p{L})(?:bodegas?|galp[oó]n|galpones|warehouses?|storage\s+units?|naves?\s+industrial(?:es)?)(?!\p{L})/iu],
];

function extractPropertyType(message: string): string | undefined {
  let best: { key: string; index: number } | undefined;
  for (const [key, pattern] of PROPERTY_TYPES) {
    const m = pattern.exec(message);
    if (m && (!best || m.index < best.index)) best = { key, index: m.index };
  }
  return best?.key;
}

const NUMBER_WORDS: Record<string, number> = { un: 1, una: 1, uno: 1, one: 1, a: 1, dos: 2, two: 2, tres: 3, three: 3, cuatro: 4, four: 4, cinco: 5, five: 5, seis: 6, six: 6 };
const COUNT = String.raw`\d+|un|una|uno|dos|tres|cuatro|cinco|seis|one|two|three|four|five|six`;
const toCount = (raw: string) => (/^\d+$/.test(raw) ? Number(raw) : (NUMBER_WORDS[fold(raw)] ?? NaN));
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function extractSize(message: string): string | undefined {
  const parts: string[] = [];
  // Chilean listings' shorthand: 2D2B (bedrooms, bathrooms).
  const shorthand = /(?<![\p{L}\d])(\d)\s?D\s?(\d)\s?B(?![\p{L}\d])/u.exec(message);
  const bedrooms = new RegExp(String.raw`(?<!\p{L})(${COUNT})\s*-?\s*(?:dormitorios?|dorms?|habitaciones|habitaci[oó]n|piezas?|rec[aá]maras?|cuartos|bedrooms?|beds?|br|bd|bdr)(?!\p{L})`, 'iu').exec(message);
  const bathrooms = new RegExp(String.raw`(?<!\p{L})(${COUNT})\s*-?\s*(?:baños?|banos?|bathrooms?|baths?)(?!\p{L})`, 'iu').exec(message);
  if (shorthand) {
    parts.push(plural(Number(shorthand[1]), 'bedroom', 'bedrooms'), plural(Number(shorthand[2]), 'bathroom', 'bathrooms'));
  } else {
    const beds = bedrooms ? toCount(bedrooms[1]!) : NaN;
    if (Number.isFinite(beds)) parts.push(plural(beds, 'bedroom', 'bedrooms'));
    const baths = bathrooms ? toCount(bathrooms[1]!) : NaN;
    if (Number.isFinite(baths)) parts.push(plural(baths, 'bathroom', 'bathrooms'));
  }
  const area =
    /(?<![\d.,])(\d+(?:[.,]\d+)*)\s*(m2|m²|mt2|mts2|mts²|mts|metros\s+cuadrados|metros2|metros|sq\.?\s?ft\.?|sqft|sf|square\s+(?:feet|foot)|ft2|ft²|pies\s+cuadrados|pies2)(?!\p{L})(?!\s+(?:de|del|from)\s)/iu.exec(message);
  if (area) {
    const metric = /^(?:m|metros)/i.test(area[2]!);
    parts.push(`${area[1]} ${metric ? 'm²' : 'sq ft'}`);
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Timeline

const MONTHS = `${MONTHS_ES} ${MONTHS_EN}`.split(' ').join('|');
const SPAN_COUNT = String.raw`\d+|un|una|dos|tres|cuatro|cinco|seis|ocho|doce|a|one|two|three|four|five|six|a\s+few|a\s+couple\s+of|couple\s+of|few`;
const TIMELINE_PATTERNS: RegExp[] = [
  /(?<!\p{L})(?:lo\s+(?:antes|m[aá]s\s+pronto)\s+posible|cuanto\s+antes|de\s+inmediato|inmediatamente|urgente(?:mente)?|ya\s+mismo|sin\s+apuro|no\s+tengo\s+apuro)(?!\p{L})/iu,
  /(?<!\p{L})(?:asap|as\s+soon\s+as\s+possible|right\s+away|immediately|urgently|no\s+rush)(?!\p{L})/iu,
  new RegExp(String.raw`(?<!\p{L})(?:en|dentro\s+de|en\s+unos|en\s+unas|en\s+los\s+próximos|en\s+los\s+proximos|en\s+las\s+próximas|en\s+las\s+proximas)\s+(?:${SPAN_COUNT})\s+(?:días|dias|semanas?|meses|mes|años|año|anos)(?!\p{L})`, 'iu'),
  new RegExp(String.raw`(?<!\p{L})(?:in|within|in\s+the\s+next)\s+(?:${SPAN_COUNT})\s+(?:days?|weeks?|months?|years?)(?!\p{L})`, 'iu'),
  /(?<!\p{L})(?:(?:este|el\s+pr[oó]ximo|el\s+siguiente)\s+(?:mes|año|semestre|verano|invierno|oto[nñ]o)|el\s+(?:mes|año)\s+que\s+viene|(?:la\s+pr[oó]xima|esta)\s+semana|(?:a|para)\s+fin(?:es)?\s+de(?:\s+este)?\s+(?:año|mes))(?!\p{L})/iu,
  /(?<!\p{L})(?:(?:this|next)\s+(?:week|month|year|summer|spring|fall|autumn|winter|quarter)|(?:by|before)\s+(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:year|month))(?!\p{L})/iu,
  new RegExp(String.raw`(?<!\p{L})(?:para|en|a\s+partir\s+de|desde|by|in|before|starting(?:\s+in)?)\s+(?:${MONTHS})(?:\s+(?:de\s+)?\d{4})?(?!\p{L})`, 'iu'),
];

function extractTimeline(message: string): string | undefined {
  let best: { text: string; index: number } | undefined;
  for (const pattern of TIMELINE_PATTERNS) {
    const m = pattern.exec(message);
    if (m && (!best || m.index < best.index)) best = { text: m[0], index: m.index };
  }
  return best ? collapse(best.text) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Software projects (seed 003's flow)

const PROJECT_TYPES: Array<[string, RegExp]> = [
  ['e_commerce', /(?<!\p{L})(?:tienda\s+(?:online|en\s+l[ií]nea|virtual|web)|e-?commerce|online\s+(?:store|shop)|webshop)(?!\p{L})/iu],
  ['web_app', /(?<!\p{L})(?:aplicaci[oó]n\s+web|app\s+web|web\s+app(?:lication)?|plataforma\s+web|saas|portal)(?!\p{L})/iu],
  ['mobile_app', /(?<!\p{L})(?:(?:app|aplicaci[oó]n)\s+(?:m[oó]vil|para\s+(?:celulares?|iphone|android|ios))|mobile\s+app(?:lication)?|(?:ios|android|iphone)\s+app|app\s+for\s+(?:ios|android|iphone))(?!\p{L})/iu],
  ['website', /(?<!\p{L})(?:sitio\s+web|p[aá]gina\s+web|website|web\s+site|landing(?:\s+page)?)(?!\p{L})/iu],
  ['custom_software', /(?<!\p{L})(?:software\s+a\s+medida|sistema\s+a\s+medida|custom\s+software|erp|crm)(?!\p{L})/iu],
  ['chatbot', /(?<!\p{L})(?:chat\s?bots?|bots?)(?!\p{L})/iu],
  ['mobile_app', /(?<!\p{L})(?:app|apps|aplicaci[oó]n)(?!\p{L})/iu],
];

const FEATURES: Array<[string, RegExp]> = [
  ['user_accounts', /(?<!\p{L})(?:login|log\s?in|registro\s+de\s+usuarios|inicio\s+de\s+sesi[oó]n|cuentas\s+de\s+usuarios?|user\s+accounts?|sign[-\s]?(?:up|in)|autenticaci[oó]n|authentication)(?!\p{L})/iu],
  ['payments', /(?<!\p{L})(?:pagos?(?:\s+en\s+l[ií]nea|\s+online)?|pasarela\s+de\s+pagos?|webpay|stripe|payments?|checkout)(?!\p{L})/iu],
  ['shopping_cart', /(?<!\p{L})(?:carrito(?:\s+de\s+compras?)?|shopping\s+cart|cart)(?!\p{L})/iu],
  ['push_notifications', /(?<!\p{L})(?:notificaciones(?:\s+push)?|push\s+notifications?|notifications?)(?!\p{L})/iu],
  ['chat', /(?<!\p{L})(?:chat(?!\s?bot)|mensajer[ií]a|messaging)(?!\p{L})/iu],
  ['maps', /(?<!\p{L})(?:mapas?|geolocalizaci[oó]n|gps|maps?|geolocation)(?!\p{L})/iu],
  ['admin_panel', /(?<!\p{L})(?:panel\s+de\s+(?:administraci[oó]n|control|admin)|backoffice|back\s+office|admin\s+panel|dashboard|panel\s+admin)(?!\p{L})/iu],
  ['booking', /(?<!\p{L})(?:reservas?|agendamiento|booking|appointments?|scheduling)(?!\p{L})/iu],
  ['inventory', /(?<!\p{L})(?:inventario|inventory)(?!\p{L})/iu],
  ['blog', /(?<!\p{L})blog(?!\p{L})/iu],
  ['multilanguage', /(?<!\p{L})(?:multi-?idioma|multilenguaje|varios\s+idiomas|multi-?language|multilingual)(?!\p{L})/iu],
  ['analytics', /(?<!\p{L})(?:reportes|estad[ií]sticas|analytics|reports|m[eé]tricas)(?!\p{L})/iu],
  ['integrations', /(?<!\p{L})(?:integraci[oó]n|integraciones|apis?|integrations?)(?!\p{L})/iu],
];

function extractProjectType(message: string): string | undefined {
  let best: { key: string; index: number } | undefined;
  for (const [key, pattern] of PROJECT_TYPES) {
    const m = pattern.exec(message);
    if (m && (!best || m.index < best.index)) best = { key, index: m.index };
  }
  return best?.key;
}

function extractFeatures(message: string): string | undefined {
  const found = FEATURES.map(([key, pattern]) => ({ key, index: pattern.exec(message)?.index ?? -1 }))
    .filter((f) => f.index >= 0)
    .sort((a, b) => a.index - b.index)
    .map((f) => f.key);
  return found.length > 0 ? found.join(', ') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Bare answers to the assistant's last question

const ASKED_NAME = /(?:c[oó]mo\s+te\s+llamas|tu\s+nombre|su\s+nombre|your\s+name|who\s+am\s+i\s+speaking|con\s+qui[eé]n\s+hablo)/iu;
const ASKED_LOCATION = /(?:qu[eé]\s+(?:comuna|zona|sector|barrio|ciudad)|d[oó]nde\s+(?:te\s+gustar[ií]a|buscas|quieres)|which\s+(?:area|neighbou?rhood|city|part)|where\s+(?:would|are|do)\s+you)/iu;

function lastAssistantTurn(history: ChatMessage[]): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.role === 'assistant') return history[i]!.content;
  return undefined;
}

/** A reply of one to four capitalised words with nothing else, e.g. "Ana Pérez" or "Las Condes". */
function bareWords(message: string): string | undefined {
  const text = trimPunctuation(message);
  if (!text || /\d|@/.test(text)) return undefined;
  const ws = text.split(/\s+/);
  if (ws.length > 4) return undefined;
  if (!ws.every((w, i) => /^\p{L}[\p{L}'’-]*$/u.test(w) && (i === 0 ? true : /^\p{Lu}/u.test(w) || /^(?:de|del|la|las|los|el)$/i.test(w)))) return undefined;
  return ws.map((w, i) => (i === 0 || /^\p{Lu}/u.test(w) ? tidyNameToken(w) : w)).join(' ');
}

// ---------------------------------------------------------------------------------------------

/**
 * The facts one message states, for the given flow. `history` lets a bare answer count ("Ana"
 * right after the assistant asked for a name).
 */
export function extractFacts(message: string, history: ChatMessage[], flow: AssistantProfile['flow'], region: CountryCode): CollectedInfo {
  const info: CollectedInfo = {};
  const phones = findPhones(message, region);
  const asked = lastAssistantTurn(history) ?? '';

  const name = extractName(message) ?? (ASKED_NAME.test(asked) ? bareWords(message) : undefined);
  if (name && !NOT_NAMES.has(fold(name.split(' ')[0]!))) info.name = name;
  if (phones[0]) info.phone = phones[0].e164;
  const email = extractEmail(message);
  if (email) info.email = email;
  const budget = extractBudget(message, phones);
  if (budget) info.budget = budget;
  const timeline = extractTimeline(message);
  if (timeline) info.timeline = timeline;

  if (flow === 'real_estate') {
    const location = extractLocation(message) ?? (ASKED_LOCATION.test(asked) ? bareWords(message) : undefined);
    if (location && location !== info.name) info.location = location;
    const propertyType = extractPropertyType(message);
    if (propertyType) info.property_type = propertyType;
    const size = extractSize(message);
    if (size) info.size = size;
  } else {
    const projectType = extractProjectType(message);
    if (projectType) info.project_type = projectType;
    const features = extractFeatures(message);
    if (features) info.features = features;
  }
  return info;
}
