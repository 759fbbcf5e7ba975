import { describe, expect, it } from 'vitest';
import { destination } from './LoginPage';

describe('destination after sign-in', () => {
  it('returns to the page that asked for a sign-in', () => {
    expect(destination('/jobs?status=failed')).toBe('/jobs?status=failed');
  });

  it('goes to the overview without one, and never to another site', () => {
    expect(destination(null)).toBe('/overview');
    expect(destination('https://evil.example')).toBe('/overview');
    expect(destination('//evil.example/x')).toBe('/overview');
    expect(destination('/\\evil.example')).toBe('/overview');
  });
});
