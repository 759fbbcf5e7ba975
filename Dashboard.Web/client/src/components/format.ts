const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const number = new Intl.NumberFormat();

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : number.format(value);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') {
    return '—';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** 0.8 ms, 412 ms, 3.2 s, 4 min 05 s: precise where it is short, readable where it is long. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return '—';
  }
  if (ms < 10) {
    return `${ms.toFixed(1)} ms`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

/** How long ago, in the largest unit that keeps it short: "4 s ago", "12 min ago", "3 h ago", "2 d ago". */
export function formatAge(fromIso: string | null | undefined, now: number): string {
  if (fromIso === null || fromIso === undefined) {
    return '—';
  }
  const seconds = Math.max(0, Math.round((now - new Date(fromIso).getTime()) / 1000));
  if (!Number.isFinite(seconds)) {
    return '—';
  }
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ago`;
  }
  if (seconds < 86_400) {
    return `${Math.floor(seconds / 3600)} h ago`;
  }
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/**
 * The last 8 characters of an id: enough to tell rows apart (the full id is in the title and the link). Not the
 * first block: job ids are UUIDv7, whose leading digits are the creation time, shared by every job of a batch.
 */
export function shortId(id: string | null | undefined): string {
  return id === null || id === undefined ? '—' : id.length > 8 ? `…${id.slice(-8)}` : id;
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
