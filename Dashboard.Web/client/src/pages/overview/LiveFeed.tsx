import { memo, useEffect } from 'react';
import { Link } from 'react-router';
import { formatDuration, shortId } from '../../components/format';
import { StatusBadge } from '../../components/StatusBadge';
import { JOB_EVENT_STATUS } from '../../live/frames';
import { useLiveState } from '../../live/LiveProvider';
import { liveCounters } from '../../live/liveStore';
import type { FeedItem } from '../../live/liveState';

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });

const FeedLine = memo(function FeedLine({ item }: { item: FeedItem }) {
  return (
    <li className="feed-item">
      <time dateTime={new Date(item.ts).toISOString()} className="mono muted">
        {clock.format(item.ts)}
      </time>
      <StatusBadge status={JOB_EVENT_STATUS[item.type] ?? item.type} />
      <span className="feed-type">{item.jobType ?? '—'}</span>
      {item.jobId !== null && (
        <Link to={`/jobs/${item.jobId}`} className="mono" title={item.jobId}>
          {shortId(item.jobId)}
        </Link>
      )}
      <span className="muted feed-detail">
        {item.error ?? (item.durationMs !== null ? formatDuration(item.durationMs) : item.workerId ?? '')}
      </span>
    </li>
  );
});

/** The newest job events of the stream, as they arrive; one commit per animation frame at most (see LiveProvider). */
export function LiveFeed() {
  const { feed } = useLiveState();
  useEffect(() => {
    liveCounters().renders += 1;
  }, [feed]);
  return (
    <section aria-label="Live events" className="card feed">
      <div className="card-header">
        <h2>Live events</h2>
        <span className="muted small">newest first, last {feed.length}</span>
      </div>
      {feed.length === 0 ? (
        <p className="muted feed-waiting">Waiting for job events…</p>
      ) : (
        <ol className="feed-list">
          {feed.map((item) => (
            <FeedLine key={item.seq} item={item} />
          ))}
        </ol>
      )}
    </section>
  );
}
