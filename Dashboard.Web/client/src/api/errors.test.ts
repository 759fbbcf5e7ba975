import { describe, expect, it } from 'vitest';
import { ApiError, describeError, errorMessageOf, parseRetryAfter } from './errors';

describe('errorMessageOf', () => {
  it('shows the envelope error, the API’s own words', () => {
    const body = { data: null, error: "'priority' must be between 1 and 10, got 42", meta: { request_id: 'r1' } };
    expect(errorMessageOf(422, 'Unprocessable Entity', body)).toBe("'priority' must be between 1 and 10, got 42");
  });

  it('falls back to the HTTP status when the body is not an envelope (a proxy page, an empty body)', () => {
    expect(errorMessageOf(502, 'Bad Gateway', null)).toBe('HTTP 502 Bad Gateway');
    expect(errorMessageOf(500, '', '<html>oops</html>')).toBe('HTTP 500');
  });

  it('does not show an empty or non-string error', () => {
    expect(errorMessageOf(400, 'Bad Request', { error: '  ' })).toBe('HTTP 400 Bad Request');
    expect(errorMessageOf(400, 'Bad Request', { error: { nested: true } })).toBe('HTTP 400 Bad Request');
  });
});

describe('parseRetryAfter', () => {
  it('reads whole seconds and refuses anything else', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter('-1')).toBeNull();
  });
});

describe('describeError', () => {
  it('gives an ApiError’s message and stringifies anything else', () => {
    expect(describeError(new ApiError(404, 'job not found'))).toBe('job not found');
    expect(describeError('plain text')).toBe('plain text');
  });
});
