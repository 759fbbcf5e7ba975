import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, shortId } from './format';

describe('shortId', () => {
  it('keeps the random tail of a UUIDv7, which differs between jobs made in the same millisecond', () => {
    expect(shortId('01a241a3-3285-7ed2-9bda-50c2c8d1c36d')).toBe('…c8d1c36d');
    expect(shortId('01a241a3-3285-7ed2-9bda-50c2c8d1c36e')).not.toBe(shortId('01a241a3-3285-7ed2-9bda-50c2c8d1c36d'));
    expect(shortId(null)).toBe('—');
  });
});

describe('formatDuration and formatAge', () => {
  it('are precise when short and readable when long', () => {
    expect(formatDuration(1.234)).toBe('1.2 ms');
    expect(formatDuration(412)).toBe('412 ms');
    expect(formatDuration(3200)).toBe('3.2 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(null)).toBe('—');
  });

  it('count the age up from a timestamp', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(formatAge('2026-12-04T11:59:56Z', now)).toBe('4 s ago');
    expect(formatAge('2026-12-04T11:48:00Z', now)).toBe('12 min ago');
    expect(formatAge('2026-12-02T12:00:00Z', now)).toBe('2 d ago');
  });
});
