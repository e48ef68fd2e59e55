// The API's JSON shapes the dashboard reads (see the OpenAPI document at /openapi.json).

export type RunStatus = "pending" | "running" | "finished" | "failed" | "crashed" | "canceled";
export type Role = "owner" | "admin" | "member" | "viewer";
/** Numbers arrive as JSON numbers, or as the strings "NaN", "Infinity", "-Infinity". */
export type MetricValue = number | "NaN" | "Infinity" | "-Infinity";

export interface User {
  id: string;
  email: string;
  name: string;
  email_confirmed: boolean;
  created_at: string;
}

export interface Workspace {
  id: string;
  name: string;
  description: string;
  is_personal: boolean;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface Member {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  joined_at: string;
}

export interface Invitation {
  id: string;
  workspace_id: string;
  workspace_name: string;
  email: string;
  role: Role;
  invited_by: { id: string; email: string; name: string } | null;
  status: "pending" | "accepted" | "declined" | "revoked";
  created_at: string;
  expires_at: string;
  /** Only when the invitation was just created and no e-mail carried it: the link to pass on. */
  invite_url?: string | null;
}

export interface Project {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ("read" | "write")[];
  rate_limit_per_minute: number | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface MetricDigest {
  last: MetricValue | null;
  last_step: number | null;
  min: MetricValue | null;
  max: MetricValue | null;
  count: number;
}

export interface RunSummary {
  metrics: Record<string, MetricDigest>;
  results: Record<string, MetricValue>;
}

export interface Run {
  id: string;
  project_id: string;
  workspace_id: string;
  name: string;
  description: string;
  config: Record<string, unknown>;
  tags: string[];
  notes: string;
  status: RunStatus;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  ended_at: string | null;
  heartbeat_at: string | null;
  /** Where the run came from, as its SDK recorded it (read through lib/provenance.ts). */
  provenance?: Record<string, unknown> | null;
  summary: RunSummary | null;
}

export interface MetricSummary {
  name: string;
  count: number;
  min: MetricValue | null;
  max: MetricValue | null;
  last: MetricValue | null;
  last_step: number | null;
  first_step: number | null;
  last_logged_at: string | null;
}

export interface SeriesBucket {
  step_start: number;
  step_end: number;
  count: number;
  min: MetricValue | null;
  max: MetricValue | null;
  mean: MetricValue | null;
  last: MetricValue;
  last_step: number;
  /** When the bucket's last point was logged (RFC 3339). */
  last_logged_at: string;
}

export interface DownsampledSeries {
  run_id: string;
  name: string;
  step_min: number | null;
  step_max: number | null;
  bucket_width: number;
  buckets: SeriesBucket[];
}

/** `layout=columns`: the same buckets as parallel arrays (times in ms since the epoch). */
export interface BucketColumns {
  step_start: number[];
  step_end: number[];
  count: number[];
  min: (MetricValue | null)[];
  max: (MetricValue | null)[];
  mean: (MetricValue | null)[];
  last: MetricValue[];
  last_step: number[];
  last_logged_ms: (number | null)[];
}

export interface ComparedSeries {
  name: string;
  step_min: number | null;
  step_max: number | null;
  bucket_width: number;
  series: { run_id: string; buckets: SeriesBucket[] }[];
}

export type MediaKind = "image" | "audio" | "text" | "file" | "histogram";

export interface MediaItem {
  id: string;
  run_id: string;
  name: string;
  step: number;
  kind: MediaKind;
  status: "pending" | "ready" | "rejected" | "missing";
  caption: string | null;
  content_type: string | null;
  filename: string | null;
  size_bytes: number | null;
  width: number | null;
  height: number | null;
  reject_reason: string | null;
  text: string | null;
  text_truncated: boolean;
  histogram: { bins: number[]; counts: number[] } | null;
  url: string | null;
  url_expires_at: string | null;
  created_at: string;
  ready_at: string | null;
}

export interface MediaNameSummary {
  name: string;
  kind: MediaKind;
  count: number;
  ready: number;
  min_step: number;
  max_step: number;
}

/** A JSON metric value as a number (NaN and the infinities included). */
export function metricNumber(value: MetricValue | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (value === "NaN") return Number.NaN;
  return value === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}
