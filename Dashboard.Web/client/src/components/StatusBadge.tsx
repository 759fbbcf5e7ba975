/** How a status reads at a glance: the colour family of its badge. */
export type Tone = 'neutral' | 'info' | 'progress' | 'success' | 'warning' | 'danger' | 'muted';

const TONES: Readonly<Record<string, Tone>> = {
  pending: 'info',
  scheduled: 'info',
  running: 'progress',
  delivering: 'progress',
  completed: 'success',
  succeeded: 'success',
  active: 'success',
  failed: 'warning',
  lost: 'warning',
  dead: 'danger',
  cancelled: 'muted',
  stopped: 'muted',
};

export function statusTone(status: string): Tone {
  return TONES[status] ?? 'neutral';
}

/** A job's, attempt's, worker's or delivery's status; the text is the API's word, which the tests and users read. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span data-testid="status-badge" className={`badge badge-${statusTone(status)}`}>
      {status}
    </span>
  );
}
