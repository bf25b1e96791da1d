import { advanceStage, scoreLead } from '../../src/contracts/leads';
import { defaultTenantConfig } from '../../src/tenants/defaults';

const weights = defaultTenantConfig('X').leadScoringWeights;
const empty = { activityCount: 0 };

describe('scoreLead', () => {
  it('is 0 for a lead with nothing and 100 for a complete, engaged one', () => {
    expect(scoreLead(empty, weights).score).toBe(0);
    const full = { name: 'a', phone: '+1', email: 'e', location: 'l', budget: 'b', propertyType: 'p', timeline: 't', activityCount: 10 };
    expect(scoreLead(full, weights)).toMatchObject({ score: 100, qualification: 'calificado', temperature: 'hot' });
  });

  it('explains itself: the points add up to the score', () => {
    const result = scoreLead({ name: 'Ana', phone: '+56911112222', budget: '3000 UF', activityCount: 5 }, weights);
    const sum = result.breakdown.reduce((a, b) => a + b.points, 0);
    expect(result.score).toBeCloseTo(sum, 0);
    expect(result.breakdown.find((b) => b.factor === 'engagement')).toMatchObject({ earned: 0.5 });
    expect(result.qualification).toBe('potencial');
  });

  it('earns nothing for a weight it does not know, so a typo shows', () => {
    expect(scoreLead({ name: 'a', activityCount: 0 }, { has_nmae: 50, has_name: 50 }).score).toBe(50);
  });
});

describe('advanceStage', () => {
  it('moves forward through the first stages as facts arrive', () => {
    expect(advanceStage('entrada', empty)).toBe('entrada');
    expect(advanceStage('entrada', { name: 'a', email: 'e', activityCount: 0 })).toBe('perfilamiento');
    expect(advanceStage('entrada', { name: 'a', phone: 'p', budget: 'b', activityCount: 0 })).toBe('calificacion_financiera');
  });

  it('never moves back, nor out of the stages people own', () => {
    expect(advanceStage('calificacion_financiera', { activityCount: 0 })).toBe('calificacion_financiera');
    expect(advanceStage('agendado', { name: 'a', phone: 'p', budget: 'b', activityCount: 0 })).toBe('agendado');
    expect(advanceStage('perdido', { name: 'a', phone: 'p', activityCount: 0 })).toBe('perdido');
  });
});
