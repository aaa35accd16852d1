import { slugify } from './text';

describe('slugify', () => {
  it('lowercases and joins words with dashes', () => expect(slugify('Acme Corp.')).toBe('acme-corp'));
  it('strips accents', () => expect(slugify('Café Société')).toBe('cafe-societe'));
  it('never returns an empty slug', () => expect(slugify('!!!')).toBe('tenant'));
  it('caps the length at 60', () => expect(slugify('a'.repeat(500)).length).toBe(60));
});
