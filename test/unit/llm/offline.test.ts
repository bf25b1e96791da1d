import { LlmError } from '../../../src/llm/errors';
import { OfflineProvider, splitDeltas } from '../../../src/llm/offline';
import { FLOW_FACTS, type CollectedInfo, type Language } from '../../../src/llm/types';
import { LISTINGS, PASSAGES, replyRequest } from '../../support/llm-fixtures';

const QUESTIONS: Record<Language, Partial<Record<keyof CollectedInfo, RegExp>>> = {
  es: {
    name: /¿Cómo te llamas\?/,
    phone: /número de teléfono/,
    email: /correo electrónico/,
    location: /comuna o zona/,
    budget: /presupuesto aproximado/,
    property_type: /tipo de propiedad/,
    size: /dormitorios o metros cuadrados/,
    timeline: /¿Para cuándo/,
  },
  en: {
    name: /your name\?/,
    phone: /phone number/,
    email: /email address/,
    location: /area or neighborhood/,
    budget: /approximate budget/,
    property_type: /type of property/,
    size: /bedrooms or how much space/,
    timeline: /When do you need it\?/,
  },
};

describe('OfflineProvider.extract', () => {
  const provider = new OfflineProvider({ defaultPhoneRegion: 'CL' });

  it('returns the facts, language and request for a person, with estimated usage and no cost', async () => {
    const message = 'Me llamo Ana, mi celular es 9 8765 4321. Quiero hablar con un ejecutivo';
    const history = [{ role: 'assistant' as const, content: '¡Hola! ¿En qué te ayudo?' }];
    const result = await provider.extract({ message, history, collected: {}, flow: 'real_estate' });
    expect(result.info).toEqual({ name: 'Ana', phone: '+56987654321' });
    expect(result.language).toBe('es');
    expect(result.wantsHuman).toBe(true);
    expect(result.usage.inputTokens).toBe(Math.ceil((message.length + history[0]!.content.length) / 4));
    expect(result.usage.outputTokens).toBe(Math.ceil(JSON.stringify(result.info).length / 4));
    expect(result.costUsd).toBe(0);
  });

  it('uses the region it was built with for local numbers', async () => {
    const us = new OfflineProvider({ defaultPhoneRegion: 'US' });
    const req = { message: 'call me at (512) 555-0134', history: [], collected: {}, flow: 'real_estate' as const };
    expect((await us.extract(req)).info.phone).toBe('+15125550134');
    expect((await provider.extract(req)).info.phone).toBeUndefined();
  });
});

describe('OfflineProvider.reply', () => {
  const provider = new OfflineProvider();

  it('greets with the assistant name on the first turn only', async () => {
    const first = await provider.reply(replyRequest({ history: [], message: 'Hola' }));
    expect(first.text).toMatch(/^¡Hola! Soy Sofía/);
    const later = await provider.reply(replyRequest());
    expect(later.text).not.toMatch(/Soy Sofía/);
    const english = await provider.reply(replyRequest({ history: [], message: 'Hi', language: 'en' }));
    expect(english.text).toMatch(/^Hi! I'm Sofía/);
  });

  it('presents at most three of the given listings, by their titles, and no other', async () => {
    const { text } = await provider.reply(replyRequest({ listings: LISTINGS }));
    for (const l of LISTINGS.slice(0, 3)) expect(text).toContain(l.title);
    expect(text).not.toContain(LISTINGS[3]!.title);
    expect(text).toContain('precio 185.000.000');
    expect(text).toContain('arriendo 650.000 al mes');
    expect(text).toContain('2 dormitorios');
    // Only what the listings say: the house has no size, so no size is shown for it.
    const houseLine = text.split('\n').find((line) => line.includes('Casa con jardín'))!;
    expect(houseLine).toBe('2. Casa con jardín en La Reina: precio 320.000.000, 4 dormitorios, La Reina');
  });

  it('shows a single listing alone and formats it in the reply language', async () => {
    const { text } = await provider.reply(replyRequest({ listings: [LISTINGS[2]!], language: 'en', message: 'Anything to rent?' }));
    expect(text).toContain('1. Loft amoblado en Providencia: rent 650,000 per month, 1 bedroom, Providencia');
    expect(text).not.toContain(LISTINGS[0]!.title);
  });

  it('quotes the passage sentence that answers the question, not the others', async () => {
    const { text } = await provider.reply(replyRequest({ message: '¿Aceptan mascotas en los departamentos?', passages: PASSAGES }));
    expect(text).toContain('Se aceptan mascotas pequeñas en todos los departamentos.');
    expect(text).not.toContain('estacionamientos');
    expect(text).not.toContain('garantía');
  });

  it('says so when nothing given answers a question', async () => {
    const { text } = await provider.reply(replyRequest({ message: '¿Tienen piscina temperada?', passages: PASSAGES }));
    expect(text).toContain('No encontré información sobre eso');
    expect(text).not.toContain('mascotas');
    const english = await provider.reply(replyRequest({ message: 'Is there a heated pool?', passages: [], language: 'en' }));
    expect(english.text).toContain("I couldn't find information about that");
  });

  it.each(['es', 'en'] as const)('asks for the first missing fact in %s, and only that', async (language) => {
    for (const fact of FLOW_FACTS.real_estate) {
      const { text } = await provider.reply(replyRequest({ language, missing: [fact, ...FLOW_FACTS.real_estate.filter((f) => f !== fact)] }));
      expect(text).toMatch(QUESTIONS[language][fact]!);
      for (const [other, pattern] of Object.entries(QUESTIONS[language])) if (other !== fact) expect(text).not.toMatch(pattern);
    }
  });

  it('offers the next step when nothing is missing', async () => {
    const { text } = await provider.reply(replyRequest({ missing: [] }));
    expect(text).toContain('¿Te gustaría que un agente te contacte');
  });

  it('acknowledges the facts this message gave', async () => {
    const { text } = await provider.reply(
      replyRequest({
        message: 'Me llamo Ana y mi presupuesto es de 5.000 UF',
        collected: { name: 'Ana', budget: '5.000 UF', location: 'Ñuñoa' },
        missing: ['phone'],
      }),
    );
    expect(text).toMatch(/^¡Gracias, Ana! Anoté tu presupuesto \(5\.000 UF\)\./);
    // Known from before, so not acknowledged again.
    expect(text).not.toContain('Ñuñoa');
    expect(text).toMatch(/número de teléfono/);
  });

  it('hands off to a person without asking anything', async () => {
    const es = await provider.reply(replyRequest({ step: 'handoff', message: 'Quiero hablar con una persona' }));
    expect(es.text).toContain('Un agente de nuestro equipo continuará');
    expect(es.text).not.toContain('?');
    const en = await provider.reply(replyRequest({ step: 'handoff', language: 'en', message: 'Can I talk to a person' }));
    expect(en.text).toContain('A member of our team will continue');
  });

  it('streams word-sized deltas, in order, that add up to the text', async () => {
    const deltas: string[] = [];
    const result = await provider.reply(replyRequest({ listings: LISTINGS }), async (delta) => {
      // A slow consumer must still see the deltas in order.
      await new Promise((resolve) => setTimeout(resolve, deltas.length % 3));
      deltas.push(delta);
    });
    expect(deltas.join('')).toBe(result.text);
    expect(deltas.length).toBeGreaterThan(10);
    for (const d of deltas) expect(d).toMatch(/^\S+\s*$/);
    expect(result).toMatchObject({ provider: 'offline', model: 'rules-v1', costUsd: 0 });
    expect(result.usage.outputTokens).toBe(Math.ceil(result.text.length / 4));
  });

  it('is deterministic', async () => {
    const req = replyRequest({ listings: LISTINGS, passages: PASSAGES, message: '¿Aceptan mascotas?' });
    expect((await provider.reply(req)).text).toBe((await provider.reply(req)).text);
  });

  it('waits tokenDelayMs between deltas', async () => {
    const slow = new OfflineProvider({ tokenDelayMs: 15 });
    const times: number[] = [];
    const started = Date.now();
    const { text } = await slow.reply(replyRequest({ missing: ['name'] }), () => {
      times.push(Date.now() - started);
    });
    const n = splitDeltas(text).length;
    expect(times).toHaveLength(n);
    expect(times[0]!).toBeLessThan(15);
    expect(times[n - 1]!).toBeGreaterThanOrEqual((n - 1) * 15 - 5);
  });

  it('stops when the signal aborts', async () => {
    const slow = new OfflineProvider({ tokenDelayMs: 20 });
    const controller = new AbortController();
    const deltas: string[] = [];
    const pending = slow.reply(replyRequest({ listings: LISTINGS }), (d) => {
      deltas.push(d);
      if (deltas.length === 3) controller.abort();
    }, controller.signal);
    await expect(pending).rejects.toMatchObject({ name: 'LlmError', code: 'aborted' });
    await expect(pending).rejects.toBeInstanceOf(LlmError);
    expect(deltas).toHaveLength(3);
    await expect(slow.reply(replyRequest(), undefined, AbortSignal.abort())).rejects.toBeInstanceOf(LlmError);
  });
});

describe('splitDeltas', () => {
  it.each(['', 'una', '  dos palabras\n\ny más  ', 'línea\n1. título: precio'])('concatenates back to %j', (text) => {
    expect(splitDeltas(text).join('')).toBe(text);
  });
});
