// The query library's client: what the app loads is cached per component and key; a failed load is
// shown at once (no retries: the API client already renews an expired session), and nothing is
// refetched behind the page's back (pages poll where they want fresh data).
import { QueryClient } from "@tanstack/preact-query";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: false,
      refetchOnWindowFocus: false,
      refetchOnReconnect: false,
      staleTime: Number.POSITIVE_INFINITY,
      gcTime: 60_000,
      // charts hold thousands of buckets: compare nothing, take each answer as it is
      structuralSharing: false,
    },
    mutations: { retry: false },
  },
});
