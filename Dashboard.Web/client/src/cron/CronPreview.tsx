import { formatRun, previewCron } from './cronText';

/** The expression in words and its next five runs, recomputed as the user types. */
export function CronPreviewPanel({ expression, timeZone, now }: { expression: string; timeZone: string; now: Date }) {
  const preview = previewCron(expression, timeZone, now);
  if (!preview.ok) {
    return (
      <div className="cron-preview cron-preview-invalid">
        <p data-testid="cron-explanation">{preview.error}</p>
      </div>
    );
  }
  const zone = timeZone.trim() === '' ? 'UTC' : timeZone.trim();
  return (
    <div className="cron-preview">
      <p data-testid="cron-explanation">{preview.description}</p>
      <p className="muted small">
        Next runs ({zone})
      </p>
      <ol aria-label="Next runs" className="next-runs">
        {preview.nextRuns.map((run) => (
          <li key={run.getTime()}>
            <time dateTime={run.toISOString()}>{formatRun(run, zone, preview.hasSeconds)}</time>
          </li>
        ))}
      </ol>
    </div>
  );
}
