import { CronExpressionParser } from 'cron-parser';
import cronstrue from 'cronstrue';

export type CronPreview =
  | { ok: true; description: string; nextRuns: Date[]; hasSeconds: boolean }
  | { ok: false; error: string };

/** Whether the browser knows an IANA zone (the scheduler refuses unknown ones with 422). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A cron expression in words and its next runs after `now`, read in `timeZone`, as the scheduler reads it: 5 fields
 * (minute hour day month weekday) or 6 with seconds first. Computed in the browser so it follows every keystroke;
 * the scheduler (NCrontab) has the last word when the schedule is saved and its next_run_at is what the list shows.
 */
export function previewCron(expression: string, timeZone: string, now: Date, count = 5): CronPreview {
  const text = expression.trim().replace(/\s+/g, ' ');
  if (text === '') {
    return { ok: false, error: 'Type an expression, e.g. "0 9 * * 1-5" (09:00 on weekdays).' };
  }
  const fields = text.split(' ').length;
  if (fields !== 5 && fields !== 6) {
    return { ok: false, error: `An expression has 5 fields (minute hour day month weekday) or 6 with seconds first, not ${fields}.` };
  }
  const zone = timeZone.trim() === '' ? 'UTC' : timeZone.trim();
  if (!isKnownTimeZone(zone)) {
    return { ok: false, error: `Unknown time zone "${zone}": use an IANA name such as Europe/Paris.` };
  }
  let description: string;
  try {
    description = cronstrue.toString(text, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch (e) {
    return { ok: false, error: `Not a valid expression: ${String(e).replace(/^Error:\s*/, '')}` };
  }
  try {
    const schedule = CronExpressionParser.parse(text, { currentDate: now, tz: zone });
    const nextRuns = schedule.take(count).map((d) => d.toDate());
    return { ok: true, description, nextRuns, hasSeconds: fields === 6 };
  } catch (e) {
    return { ok: false, error: `Not a valid expression: ${(e as Error).message}` };
  }
}

/** A run time as the schedule's zone shows it, e.g. "Mon, 8 Dec 2026, 09:00". */
export function formatRun(date: Date, timeZone: string, withSeconds: boolean): string {
  return new Intl.DateTimeFormat(undefined, {
    timeZone: timeZone.trim() === '' ? 'UTC' : timeZone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: withSeconds ? '2-digit' : undefined,
    hourCycle: 'h23',
  }).format(date);
}
