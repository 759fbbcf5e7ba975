import { describe, expect, it } from 'vitest';
import { emptyFilters, filtersFromSearch, normalizeTags, parseTags, searchFromFilters } from './filters';

describe('filters and the query string', () => {
  it('round-trips every filter through the URL', () => {
    const filters = { status: 'failed', type: 'http.request', queue: 'bulk', tags: 'team:a,env:prod' } as const;
    const search = searchFromFilters(filters, 'abc');
    expect(search.toString()).toBe('status=failed&type=http.request&queue=bulk&tags=team%3Aa%2Cenv%3Aprod&cursor=abc');
    expect(filtersFromSearch(search)).toEqual(filters);
  });

  it('leaves empty filters out of the URL', () => {
    expect(searchFromFilters(emptyFilters).toString()).toBe('');
  });

  it('drops a status or queue the API does not know instead of sending it', () => {
    const filters = filtersFromSearch(new URLSearchParams('status=exploded&queue=urgent&type=%20echo%20'));
    expect(filters).toEqual({ status: null, type: 'echo', queue: null, tags: '' });
  });

  it('normalizes tags as the API takes them', () => {
    expect(normalizeTags(' team : a , ,env:prod ')).toBe('team:a,env:prod');
  });
});

describe('parseTags', () => {
  it('reads name:value pairs; a value may itself hold colons', () => {
    expect(parseTags('team:a, url:http://x')).toEqual({ tags: { team: 'a', url: 'http://x' } });
    expect(parseTags('')).toEqual({ tags: {} });
  });

  it('says what is wrong with a pair', () => {
    expect(parseTags('team')).toEqual({ error: 'Tag "team" is not name:value' });
    expect(parseTags(':a')).toEqual({ error: 'Tag ":a" is not name:value' });
    expect(parseTags('a:1,a:2')).toEqual({ error: 'Tag "a" is given twice' });
  });
});
