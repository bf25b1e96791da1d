import type { CountryCode } from 'libphonenumber-js';
import type { RetrievedListing, RetrievedPassage } from '../contracts/retrieval';
import { abortedError } from './errors';
import { detectLanguage, detectWantsHuman, extractFacts, words } from './rules';
import { FLOW_FACTS, type ChatMessage, type CollectedInfo, type ExtractRequest, type ExtractResult, type Language, type LlmProvider, type ReplyRequest, type ReplyResult, type Usage } from './types';

export interface OfflineProviderOptions {
  /** Region for phone numbers written without a country code. */
  defaultPhoneRegion?: CountryCode;
  /** Pause between streamed words, to simulate a provider's pace in benchmarks. */
  tokenDelayMs?: number;
}

/** The rough token count the offline provider reports: a quarter of the characters. */
export const estimateTokens = (...texts: string[]) => Math.ceil(texts.reduce((n, t) => n + t.length, 0) / 4);

const usageOf = (input: number, output: number): Usage => ({ inputTokens: input, outputTokens: output, cacheReadTokens: 0, cacheWriteTokens: 0 });

/** Word-sized pieces whose concatenation is the text, whitespace kept with the word before it. */
export function splitDeltas(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Wording

type Fact = keyof CollectedInfo;

const QUESTIONS: Record<Language, Record<Fact, string>> = {
  es: {
    name: '¿Cómo te llamas?',
    phone: '¿Me compartes un número de teléfono para contactarte?',
    email: '¿Cuál es tu correo electrónico?',
    location: '¿En qué comuna o zona te gustaría buscar?',
    budget: '¿Cuál es tu presupuesto aproximado?',
    property_type: '¿Qué tipo de propiedad buscas: departamento, casa, oficina u otra?',
    size: '¿Cuántos dormitorios o metros cuadrados necesitas?',
    timeline: '¿Para cuándo la necesitas?',
    project_type: '¿Qué tipo de proyecto tienes en mente: app móvil, sitio web, tienda online u otro?',
    features: '¿Qué funcionalidades principales necesitas?',
  },
  en: {
    name: 'May I have your name?',
    phone: 'What phone number can we reach you at?',
    email: "What's your email address?",
    location: 'Which area or neighborhood are you interested in?',
    budget: "What's your approximate budget?",
    property_type: 'What type of property are you looking for: apartment, house, office or something else?',
    size: 'How many bedrooms or how much space do you need?',
    timeline: 'When do you need it?',
    project_type: 'What kind of project do you have in mind: mobile app, website, online store or something else?',
    features: 'Which main features do you need?',
  },
};

const LABELS: Record<Language, Record<Fact, string>> = {
  es: {
    name: 'tu nombre',
    phone: 'tu teléfono',
    email: 'tu correo',
    location: 'la zona',
    budget: 'tu presupuesto',
    property_type: 'el tipo de propiedad',
    size: 'el tamaño',
    timeline: 'el plazo',
    project_type: 'el tipo de proyecto',
    features: 'las funcionalidades',
  },
  en: {
    name: 'your name',
    phone: 'your phone number',
    email: 'your email',
    location: 'the area',
    budget: 'your budget',
    property_type: 'the property type',
    size: 'the size',
    timeline: 'the timeline',
    project_type: 'the project type',
    features: 'the features',
  },
};

const VALUE_NAMES: Record<Language, Record<string, string>> = {
  es: {
    apartment: 'departamento',
    house: 'casa',
    condo: 'condominio',
    townhouse: 'casa pareada',
    studio: 'estudio',
    office: 'oficina',
    retail: 'local comercial',
    land: 'terreno',
    warehouse: 'bodega',
    mobile_app: 'app móvil',
    web_app: 'aplicación web',
    website: 'sitio web',
    e_commerce: 'tienda online',
    custom_software: 'software a medida',
    chatbot: 'chatbot',
  },
  en: {
    retail: 'retail space',
    mobile_app: 'mobile app',
    web_app: 'web app',
    e_commerce: 'online store',
    custom_software: 'custom software',
  },
};

const displayValue = (language: Language, value: string) => VALUE_NAMES[language][value] ?? value.replace(/_/g, ' ');

function listJoin(items: string[], language: Language): string {
  if (items.length <= 1) return items.join('');
  const and = language === 'es' ? 'y' : 'and';
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

const TEXT: Record<Language, Record<string, string>> = {
  es: {
    greet: '¡Hola{name}! Soy {assistant}, tu asistente virtual.',
    thanks: '¡Gracias, {name}!',
    noted: 'Anoté {facts}.',
    listings: 'Estas opciones podrían interesarte:',
    quote: 'Según nuestra información: «{quote}»',
    nothing: 'No encontré información sobre eso en nuestros documentos; un agente puede ayudarte con esa consulta.',
    handoff: 'Un agente de nuestro equipo continuará esta conversación contigo en breve.',
    closing_real_estate: '¿Te gustaría que un agente te contacte para coordinar una visita?',
    closing_project: '¿Te gustaría agendar una reunión con nuestro equipo?',
    price: 'precio {n}',
    rent: 'arriendo {n} al mes',
    bedrooms: '{n} dormitorios',
    bedroom: '1 dormitorio',
    area: '{n} pies²',
  },
  en: {
    greet: "Hi{name}! I'm {assistant}, your virtual assistant.",
    thanks: 'Thanks, {name}!',
    noted: "I've noted {facts}.",
    listings: 'These options might interest you:',
    quote: 'According to our information: “{quote}”',
    nothing: "I couldn't find information about that in our documents; an agent can help you with that question.",
    handoff: 'A member of our team will continue this conversation with you shortly.',
    closing_real_estate: 'Would you like an agent to contact you to arrange a visit?',
    closing_project: 'Would you like to schedule a call with our team?',
    price: 'price {n}',
    rent: 'rent {n} per month',
    bedrooms: '{n} bedrooms',
    bedroom: '1 bedroom',
    area: '{n} sq ft',
  },
};

const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (_m, key: string) => values[key] ?? '');

const formatNumber = (n: number, language: Language) => new Intl.NumberFormat(language === 'es' ? 'es-CL' : 'en-US', { maximumFractionDigits: 2 }).format(n);

/** One line per listing, with only what the listing says. */
function listingLine(listing: RetrievedListing, index: number, language: Language): string {
  const t = TEXT[language];
  const parts: string[] = [];
  const rent = listing.monthlyRent !== null && (listing.listingType === 'rent' || listing.price === null);
  if (rent) parts.push(fill(t.rent!, { n: formatNumber(listing.monthlyRent!, language) }));
  else if (listing.price !== null) parts.push(fill(t.price!, { n: formatNumber(listing.price, language) }));
  if (listing.bedrooms !== null) parts.push(listing.bedrooms === 1 ? t.bedroom! : fill(t.bedrooms!, { n: String(listing.bedrooms) }));
  if (listing.sizeSf !== null) parts.push(fill(t.area!, { n: formatNumber(listing.sizeSf, language) }));
  if (listing.city) parts.push(listing.city);
  return `${index + 1}. ${listing.title}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

// Words too common to say what a message is about.
const STOPWORDS = new Set(
  'que los las del por para con una uno unos unas como cual cuales cuanto cuanta donde cuando esta este esto estan son hay tiene tienen tengo quiero busco puedo pueden sobre entre desde hasta muy mas pero the and for with what which how where when who does have has are is can could would you your our there this that from about want need looking please hola hello gracias thanks'.split(
    ' ',
  ),
);

function keyTerms(text: string): string[] {
  return [...new Set(words(text).filter((w) => w.length >= 3 && !STOPWORDS.has(w)))];
}

/** Same word, allowing for plural and gender endings ("mascota" and "mascotas"). */
const sameTerm = (a: string, b: string) => a === b || (Math.min(a.length, b.length) >= 4 && (a.startsWith(b) || b.startsWith(a)) && Math.abs(a.length - b.length) <= 2);

/** The passage sentences that share the most words with the message, in their original order. */
export function relevantSentences(message: string, passages: RetrievedPassage[], max = 2): string[] {
  const terms = keyTerms(message);
  if (terms.length === 0) return [];
  const scored: Array<{ sentence: string; score: number; order: number }> = [];
  let order = 0;
  for (const passage of passages) {
    for (const sentence of passage.text.split(/(?<=[.!?])\s+|\n+/)) {
      const trimmed = sentence.trim();
      if (!trimmed) continue;
      const sentenceTerms = keyTerms(trimmed);
      const score = terms.filter((t) => sentenceTerms.some((s) => sameTerm(t, s))).length;
      scored.push({ sentence: trimmed, score, order: order++ });
    }
  }
  const best = Math.max(0, ...scored.map((s) => s.score));
  if (best === 0) return [];
  return scored
    .filter((s) => s.score > 0 && s.score * 2 >= best)
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, max)
    .sort((a, b) => a.order - b.order)
    .map((s) => s.sentence);
}

const QUESTION = /[?¿]|(?<!\p{L})(?:qu[eé]|cu[aá]l(?:es)?|cu[aá]nto|c[oó]mo|d[oó]nde|cu[aá]ndo|tienen|hay|aceptan|what|which|how|where|when|do\s+you|is\s+there|are\s+there|can\s+i)(?!\p{L})/iu;

/** The facts `message` gave that `collected` now holds, in the flow's asking order. */
function newlyGiven(req: ReplyRequest, region: CountryCode): Fact[] {
  const fromMessage = extractFacts(req.message, req.history, req.profile.flow, region);
  return FLOW_FACTS[req.profile.flow].filter((k) => fromMessage[k] !== undefined && req.collected[k] !== undefined);
}

/** The offline provider's whole reply, deterministic for a request. */
export function composeReply(req: ReplyRequest, region: CountryCode = 'CL'): string {
  const language = req.language;
  const t = TEXT[language];
  const paragraphs: string[] = [];
  const given = newlyGiven(req, region);
  const name = req.collected.name;

  const firstTurn = req.history.length === 0;
  const opening: string[] = [];
  if (firstTurn) opening.push(fill(t.greet!, { name: name ? `, ${name}` : '', assistant: req.profile.assistantName }));
  else if (name && given.includes('name')) opening.push(fill(t.thanks!, { name }));
  const noted = given.filter((k) => k !== 'name');
  if (noted.length > 0) {
    const facts = noted.map((k) => `${LABELS[language][k]} (${displayValue(language, req.collected[k]!)})`);
    opening.push(fill(t.noted!, { facts: listJoin(facts, language) }));
  }
  if (opening.length > 0) paragraphs.push(opening.join(' '));

  if (req.step === 'handoff') {
    paragraphs.push(t.handoff!);
    return paragraphs.join('\n\n');
  }

  if (req.listings.length > 0) {
    paragraphs.push([t.listings!, ...req.listings.slice(0, 3).map((l, i) => listingLine(l, i, language))].join('\n'));
  } else {
    const sentences = relevantSentences(req.message, req.passages);
    if (sentences.length > 0) paragraphs.push(fill(t.quote!, { quote: sentences.join(' ') }));
    else if (QUESTION.test(req.message)) paragraphs.push(t.nothing!);
  }

  const next = req.missing[0];
  if (next) paragraphs.push(QUESTIONS[language][next]);
  else paragraphs.push(req.profile.flow === 'project' ? t.closing_project! : t.closing_real_estate!);
  return paragraphs.join('\n\n');
}

// ---------------------------------------------------------------------------------------------

/**
 * A deterministic provider with no network: rules read the message, templates write the reply.
 * The default without an API key, and what tests and benchmarks use.
 */
export class OfflineProvider implements LlmProvider {
  readonly name = 'offline';
  readonly model = 'rules-v1';
  private readonly region: CountryCode;
  private readonly tokenDelayMs: number;

  constructor(options: OfflineProviderOptions = {}) {
    this.region = options.defaultPhoneRegion ?? 'CL';
    this.tokenDelayMs = options.tokenDelayMs ?? 0;
  }

  async extract(req: ExtractRequest, signal?: AbortSignal): Promise<ExtractResult> {
    if (signal?.aborted) throw abortedError(signal.reason);
    const info = extractFacts(req.message, req.history, req.flow, this.region);
    return {
      info,
      language: detectLanguage(req.message, req.history),
      wantsHuman: detectWantsHuman(req.message),
      usage: usageOf(estimateTokens(req.message, ...historyTexts(req.history)), estimateTokens(JSON.stringify(info))),
      costUsd: 0,
    };
  }

  async reply(req: ReplyRequest, onToken?: (delta: string) => void | Promise<void>, signal?: AbortSignal): Promise<ReplyResult> {
    if (signal?.aborted) throw abortedError(signal.reason);
    const text = composeReply(req, this.region);
    const deltas = splitDeltas(text);
    for (let i = 0; i < deltas.length; i++) {
      if (i > 0 && this.tokenDelayMs > 0) await sleep(this.tokenDelayMs, signal);
      if (signal?.aborted) throw abortedError(signal.reason);
      await onToken?.(deltas[i]!);
    }
    const context = [...req.passages.map((p) => p.text), ...req.listings.map((l) => `${l.title} ${l.summary}`)];
    return {
      text,
      usage: usageOf(estimateTokens(req.message, ...historyTexts(req.history), ...context), estimateTokens(text)),
      costUsd: 0,
      provider: this.name,
      model: this.model,
    };
  }
}

const historyTexts = (history: ChatMessage[]) => history.map((m) => m.content);
