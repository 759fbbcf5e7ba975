import { useQuery } from '@tanstack/react-query';
import { keys } from './queries';

/** Dashboard.Web's /config.json: where the Aspire dashboard runs (for trace links), or null when it does not. */
export interface ClientConfig {
  aspire_dashboard_url: string | null;
}

async function fetchConfig(): Promise<ClientConfig> {
  const response = await fetch('/config.json', { headers: { Accept: 'application/json' } });
  if (!response.ok) {
    return { aspire_dashboard_url: null };
  }
  const body = (await response.json()) as Partial<ClientConfig>;
  return { aspire_dashboard_url: typeof body.aspire_dashboard_url === 'string' ? body.aspire_dashboard_url : null };
}

export function useClientConfig(): ClientConfig | undefined {
  return useQuery({ queryKey: keys.config, queryFn: fetchConfig, staleTime: Number.POSITIVE_INFINITY }).data;
}

/** The Aspire dashboard's page of one trace, or null when there is no dashboard or no trace. */
export function traceUrl(config: ClientConfig | undefined, traceId: string | null | undefined): string | null {
  if (config?.aspire_dashboard_url == null || traceId == null || traceId === '') {
    return null;
  }
  return `${config.aspire_dashboard_url.replace(/\/+$/, '')}/traces/detail/${encodeURIComponent(traceId)}`;
}
