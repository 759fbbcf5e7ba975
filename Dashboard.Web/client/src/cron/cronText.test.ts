import { describe, expect, it } from 'vitest';
import { formatRun, previewCron } from './cronText';

// Friday 4 December 2026, 14:00 UTC.
const now = new Date('2026-12-04T14:00:00Z');

describe('previewCron', () => {
  it('explains a weekday schedule in words, in 24-hour time', () => {
    const preview = previewCron('0 9 * * 1-5', 'UTC', now);
    expect(preview.ok).toBe(true);
    if (preview.ok) {
      expect(preview.description).toContain('09:00');
      expect(preview.description).toContain('Monday');
      expect(preview.description).toContain('Friday');
    }
  });

  it('lists the next five runs after now, skipping the weekend', () => {
    const preview = previewCron('0 9 * * 1-5', 'UTC', now);
    expect(preview.ok && preview.nextRuns.map((d) => d.toISOString())).toEqual([
      '2026-12-07T09:00:00.000Z',
      '2026-12-08T09:00:00.000Z',
      '2026-12-09T09:00:00.000Z',
      '2026-12-10T09:00:00.000Z',
      '2026-12-11T09:00:00.000Z',
    ]);
  });

  it('reads the expression in the schedule’s time zone', () => {
    // 02:30 in Paris is 01:30 UTC in winter.
    const preview = previewCron('30 2 * * *', 'Europe/Paris', now);
    expect(preview.ok && preview.nextRuns[0]?.toISOString()).toBe('2026-12-05T01:30:00.000Z');
  });

  it('takes six fields with seconds first', () => {
    const preview = previewCron('*/10 * * * * *', 'UTC', now);
    expect(preview.ok && preview.hasSeconds).toBe(true);
    expect(preview.ok && preview.nextRuns[1]?.toISOString()).toBe('2026-12-04T14:00:20.000Z');
  });

  it('says why an expression cannot be read', () => {
    expect(previewCron('', 'UTC', now)).toMatchObject({ ok: false });
    expect(previewCron('* * *', 'UTC', now)).toEqual({
      ok: false,
      error: 'An expression has 5 fields (minute hour day month weekday) or 6 with seconds first, not 3.',
    });
    expect(previewCron('61 * * * *', 'UTC', now)).toMatchObject({ ok: false });
    expect(previewCron('0 9 * * *', 'Mars/Olympus', now)).toEqual({
      ok: false,
      error: 'Unknown time zone "Mars/Olympus": use an IANA name such as Europe/Paris.',
    });
  });
});

describe('formatRun', () => {
  it('shows the time as the schedule’s zone sees it', () => {
    const text = formatRun(new Date('2026-12-05T01:30:00Z'), 'Europe/Paris', false);
    expect(text).toContain('02:30');
    expect(formatRun(new Date('2026-12-05T01:30:00Z'), 'UTC', false)).toContain('01:30');
  });
});
