import type { RetrievedListing, RetrievedPassage } from '../../src/contracts/retrieval';
import type { AssistantProfile, ReplyRequest } from '../../src/llm/types';
import { defaultTenantConfig } from '../../src/tenants/defaults';

/** Requests for language-model tests, built on the default tenant configuration. */
export function realEstateProfile(tenantName = 'Inmobiliaria Andes'): AssistantProfile {
  const config = defaultTenantConfig(tenantName);
  return { assistantName: config.assistantName, persona: config.persona, tone: config.tone, promptSections: { ...config.promptSections }, flow: 'real_estate' };
}

export function listing(overrides: Partial<RetrievedListing> & Pick<RetrievedListing, 'id' | 'title'>): RetrievedListing {
  return {
    address: null,
    city: 'Santiago',
    propertyType: 'apartment',
    listingType: 'sale',
    price: null,
    monthlyRent: null,
    sizeSf: null,
    bedrooms: null,
    summary: `${overrides.title}.`,
    score: 1,
    ...overrides,
  };
}

export const LISTINGS: RetrievedListing[] = [
  listing({ id: 'p-101', title: 'Departamento luminoso en Las Condes', price: 185_000_000, bedrooms: 2, sizeSf: 807, city: 'Las Condes' }),
  listing({ id: 'p-102', title: 'Casa con jardín en La Reina', propertyType: 'house', price: 320_000_000, bedrooms: 4, city: 'La Reina' }),
  listing({ id: 'p-103', title: 'Loft amoblado en Providencia', listingType: 'rent', monthlyRent: 650_000, bedrooms: 1, city: 'Providencia' }),
  listing({ id: 'p-104', title: 'Oficina en El Golf', propertyType: 'office', listingType: 'rent', monthlyRent: 1_200_000, city: 'Las Condes' }),
];

export const PASSAGES: RetrievedPassage[] = [
  {
    id: 'doc-1:0',
    source: 'document',
    sourceId: 'doc-1',
    title: 'Políticas de arriendo',
    text: 'El contrato de arriendo dura un año. Se aceptan mascotas pequeñas en todos los departamentos. El mes de garantía se devuelve al término del contrato.',
    score: 2,
  },
  {
    id: 'kb-7:0',
    source: 'kb',
    sourceId: 'kb-7',
    title: 'Estacionamientos',
    text: 'Los estacionamientos se venden por separado. Cada edificio tiene bodegas disponibles.',
    score: 1,
  },
];

export function replyRequest(overrides: Partial<ReplyRequest> = {}): ReplyRequest {
  return {
    profile: realEstateProfile(),
    history: [{ role: 'user', content: 'Hola' }, { role: 'assistant', content: '¡Hola! Soy Sofía. ¿Cómo te llamas?' }],
    message: 'Busco un departamento',
    passages: [],
    listings: [],
    collected: {},
    step: 'profiling',
    language: 'es',
    missing: ['name', 'phone', 'email', 'location', 'budget', 'property_type', 'size', 'timeline'],
    ...overrides,
  };
}
