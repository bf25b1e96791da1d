import { detectLanguage, detectWantsHuman, extractFacts } from '../../../src/llm/rules';
import type { ChatMessage, CollectedInfo } from '../../../src/llm/types';

type Case = [message: string, expected: CollectedInfo];

/** Whole results, so a fact read where there is none fails as surely as one missed. */
describe('extractFacts (real-estate flow)', () => {
  const spanish: Case[] = [
    ['Hola, me llamo Ana Pérez y busco un departamento en Las Condes', { name: 'Ana Pérez', property_type: 'apartment', location: 'Las Condes' }],
    ['soy Ana, mi presupuesto es de 5.000 UF', { name: 'Ana', budget: '5.000 UF' }],
    ['mi nombre es josé miguel rodríguez', { name: 'José Miguel Rodríguez' }],
    ['Soy Ana y quiero vender mi casa en La Reina', { name: 'Ana', property_type: 'house', location: 'La Reina' }],
    ['Mi número es +56 9 1234 5678 y mi correo Ana.Perez@Example.com', { phone: '+56912345678', email: 'ana.perez@example.com' }],
    ['llámame al 9 8765 4321', { phone: '+56987654321' }],
    ['Busco arriendo hasta 120 millones en la comuna de Providencia', { budget: 'hasta 120 millones', location: 'Providencia' }],
    ['Puedo pagar $2.500 al mes, 2 dormitorios y 80 m2', { budget: '$2.500 al mes', size: '2 bedrooms, 80 m²' }],
    ['Hola! Busco arriendo de departamento por 600 mil mensuales', { budget: '600 mil mensuales', property_type: 'apartment' }],
    ['Quiero una casa con 3 habitaciones y 2 baños, entre 4.000 y 5.000 UF', { property_type: 'house', size: '3 bedrooms, 2 bathrooms', budget: 'entre 4.000 y 5.000 UF' }],
    ['Necesito una oficina en Viña del Mar, lo antes posible', { property_type: 'office', location: 'Viña del Mar', timeline: 'lo antes posible' }],
    ['Queremos comprar un terreno en la zona sur, en 6 meses', { property_type: 'land', location: 'zona sur', timeline: 'en 6 meses' }],
    ['busco depto 2D1B en Ñuñoa', { property_type: 'apartment', size: '2 bedrooms, 1 bathroom', location: 'Ñuñoa' }],
    ['Me interesa un local comercial de 120 metros cuadrados', { property_type: 'retail', size: '120 m²' }],
    ['Una bodega, presupuesto 3000', { property_type: 'warehouse', budget: '3000' }],
    ['Mi presupuesto máximo es 8.500 UF y lo necesito para marzo', { budget: '8.500 UF', timeline: 'para marzo' }],
    ['Estoy buscando algo para el próximo año', { timeline: 'el próximo año' }],
    ['Quiero algo por menos de 900.000 pesos', { budget: 'menos de 900.000 pesos' }],
    ['Estoy interesado en el Departamento luminoso en Las Condes', { property_type: 'apartment', location: 'Las Condes' }],
  ];
  const english: Case[] = [
    ["Hi, I'm John Smith, looking for a 3 bedroom house in downtown Austin", { name: 'John Smith', property_type: 'house', size: '3 bedrooms', location: 'downtown Austin' }],
    ["I'm looking for an apartment, budget around $450k", { property_type: 'apartment', budget: 'around $450k' }],
    ['my name is sarah connor, call me at (512) 555-0134', { name: 'Sarah Connor', phone: '+15125550134' }],
    ['We need an office of 2000 sf, between 10k and 20k per month', { property_type: 'office', size: '2000 sq ft', budget: 'between 10k and 20k per month' }],
    ['This is Mike from Acme, we need a warehouse ASAP', { name: 'Mike', property_type: 'warehouse', timeline: 'ASAP' }],
    ["I'm interested in a condo near Central Park, moving next month", { property_type: 'condo', location: 'Central Park', timeline: 'next month' }],
    ['Can you send it to jane.doe@mail.com? My budget is $1.2M', { email: 'jane.doe@mail.com', budget: '$1.2M' }],
    ['We are relocating this year, something with 2 beds and 1 bath', { timeline: 'this year', size: '2 bedrooms, 1 bathroom' }],
    ['I live in NYC but want to buy in Miami Beach', { location: 'Miami Beach' }],
  ];
  /** Phrases that look like facts and are not. */
  const negatives: Case[] = [
    ['Soy de Santiago y busco casa', { property_type: 'house' }],
    ['Trabajo desde casa y tengo 2 hijos', {}],
    ['Vivo a 500 metros del metro', {}],
    ['sitio web para mi inmobiliaria', {}],
    ['En realidad no sé todavía', {}],
    ["I'm in Spanish class", {}],
    ['Is there a lot of parking? Open house this weekend?', {}],
    ['Can I visit your office tomorrow?', {}],
    ['I have 2 kids and a dog', {}],
    ['In English please', {}],
    ['Soy Ingeniero', {}],
    // A listing's price asked about, or an income, is not the customer's budget.
    ['El depto de 2 dormitorios cuesta 150 millones?', { property_type: 'apartment', size: '2 bedrooms' }],
    ['Is the price $350,000 negotiable?', {}],
    ['I earn 80k a year', {}],
  ];

  it.each(spanish)('reads %j', (message, expected) => {
    expect(extractFacts(message, [], 'real_estate', 'CL')).toEqual(expected);
  });

  it.each(english)('reads %j', (message, expected) => {
    expect(extractFacts(message, [], 'real_estate', 'US')).toEqual(expected);
  });

  it.each(negatives)('does not over-read %j', (message, expected) => {
    expect(extractFacts(message, [], 'real_estate', 'CL')).toEqual(expected);
    expect(extractFacts(message, [], 'real_estate', 'US')).toEqual(expected);
  });

  it('reads a local phone number with the given region only', () => {
    expect(extractFacts('(512) 555-0134', [], 'real_estate', 'US')).toEqual({ phone: '+15125550134' });
    expect(extractFacts('(512) 555-0134', [], 'real_estate', 'CL')).toEqual({});
  });

  it('takes a bare answer as the fact the assistant just asked for', () => {
    const askedName: ChatMessage[] = [{ role: 'assistant', content: '¿Cómo te llamas?' }];
    const askedArea: ChatMessage[] = [{ role: 'assistant', content: '¿En qué comuna o zona te gustaría buscar?' }];
    expect(extractFacts('Ana Pérez', askedName, 'real_estate', 'CL')).toEqual({ name: 'Ana Pérez' });
    expect(extractFacts('Providencia', askedArea, 'real_estate', 'CL')).toEqual({ location: 'Providencia' });
    // Without the question, a bare word is nothing.
    expect(extractFacts('Providencia', [], 'real_estate', 'CL')).toEqual({});
    expect(extractFacts('ok, gracias', askedName, 'real_estate', 'CL')).toEqual({});
  });
});

describe('extractFacts (project flow)', () => {
  it.each<Case>([
    ['Quiero una app móvil con pagos, login y notificaciones push, presupuesto 10 millones', { project_type: 'mobile_app', features: 'payments, user_accounts, push_notifications', budget: '10 millones' }],
    ['We need an online store with a shopping cart and inventory, in 3 months', { project_type: 'e_commerce', features: 'shopping_cart, inventory', timeline: 'in 3 months' }],
    // Property facts belong to the other flow.
    ['una landing page para mi depto en Las Condes', { project_type: 'website' }],
  ])('reads %j', (message, expected) => {
    expect(extractFacts(message, [], 'project', 'CL')).toEqual(expected);
  });
});

describe('detectLanguage', () => {
  const english: ChatMessage[] = [{ role: 'user', content: 'Hi, I am looking for a house in Austin' }];
  const spanish: ChatMessage[] = [{ role: 'user', content: 'Hola, busco una casa en Santiago' }];

  it.each([
    ['Hola, busco departamento', 'es'],
    ['¿Tienen casas con patio?', 'es'],
    ['Quiero arrendar algo cerca del metro', 'es'],
    ['Hi, I am looking for a house', 'en'],
    ['Do you have apartments near the university?', 'en'],
    ["What's the price of the condo?", 'en'],
  ])('%j is %s', (message, language) => {
    expect(detectLanguage(message, [])).toBe(language);
  });

  it('gives a short or neutral message the language of the conversation', () => {
    expect(detectLanguage('ok', english)).toBe('en');
    expect(detectLanguage('Ana', english)).toBe('en');
    expect(detectLanguage('+56 9 1234 5678', english)).toBe('en');
    expect(detectLanguage('ok', spanish)).toBe('es');
    expect(detectLanguage('Thanks!', spanish)).toBe('es');
  });

  it('defaults to Spanish with nothing to go on', () => {
    expect(detectLanguage('ok', [])).toBe('es');
    expect(detectLanguage('12345', [])).toBe('es');
  });

  it('follows a customer who switches language with a full sentence', () => {
    expect(detectLanguage('Actually, could you tell me about the rent in this area?', spanish)).toBe('en');
  });
});

describe('detectWantsHuman', () => {
  it.each([
    'Quiero hablar con una persona',
    'Prefiero hablar con un ejecutivo, por favor',
    '¿Me puedes pasar con un agente? Pásame con un humano',
    'Can I talk to a real person?',
    "I'd like to speak with an agent",
    'Please connect me with a human',
  ])('%j asks for a person', (message) => {
    expect(detectWantsHuman(message)).toBe(true);
  });

  it.each(['No quiero hablar con un agente todavía', "I don't want to talk to an agent yet", 'Busco un departamento', 'The agent fee is included?'])('%j does not', (message) => {
    expect(detectWantsHuman(message)).toBe(false);
  });
});
