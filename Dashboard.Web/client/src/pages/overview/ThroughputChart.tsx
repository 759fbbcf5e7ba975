import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useSampledLiveState } from '../../live/LiveProvider';
import { throughputSeries } from '../../live/liveState';

const WINDOW_SECONDS = 180;
const tick = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * Completed and failed attempts per second over the last three minutes, from the live events. Redrawn once a second,
 * not on every flush: a chart moving 60 times a second tells nothing more and costs a lot more.
 */
export function ThroughputChart() {
  const { state, now } = useSampledLiveState(1000);
  const series = throughputSeries(state.throughput, Math.floor(now / 1000), WINDOW_SECONDS);
  const last10 = series.slice(-10);
  const completedRate = last10.reduce((sum, p) => sum + p.completed, 0) / last10.length;
  const failedRate = last10.reduce((sum, p) => sum + p.failed, 0) / last10.length;
  const summary = `Over the last 10 seconds: ${completedRate.toFixed(1)} completed and ${failedRate.toFixed(1)} failed per second.`;
  return (
    <section className="card" aria-labelledby="throughput-title">
      <div className="card-header">
        <h2 id="throughput-title">Throughput</h2>
        <span className="legend">
          <span className="legend-item legend-completed">completed/s</span>
          <span className="legend-item legend-failed">failed/s</span>
        </span>
      </div>
      <p className="muted small">{summary}</p>
      <div className="chart" role="img" aria-label={`Completed and failed jobs per second, last ${WINDOW_SECONDS / 60} minutes. ${summary}`}>
        <ResponsiveContainer width="100%" height={200}>
          <AreaChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
            <XAxis
              dataKey="second"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={(s: number) => tick.format(s * 1000)}
              tick={{ fontSize: 11 }}
              minTickGap={40}
            />
            <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
            <Tooltip labelFormatter={(s) => tick.format(Number(s) * 1000)} />
            <Area type="monotone" dataKey="completed" stroke="var(--success)" fill="var(--success-soft)" isAnimationActive={false} />
            <Area type="monotone" dataKey="failed" stroke="var(--danger)" fill="var(--danger-soft)" isAnimationActive={false} />
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
