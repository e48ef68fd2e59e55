// The run table's view pieces: cells, header, rows, the column chooser, the select-all box and the
// empty project's hint. They render what the state hook (pages/run_table_state.ts) computed.
import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { formatConfigValue, formatDuration, formatNumber, formatRelative, formatTime } from "../lib/format";
import {
  cellValue,
  columnLabel,
  isActive,
  parseColumnKey,
  type ColumnKey,
  type DiscoveredColumns,
  type KeyCount,
  type Row,
  type SortSpec,
} from "../lib/run_table";
import { rowWindow, type RowWindow } from "../lib/virtual_rows";
import { href } from "../router";
import type { Project, Run, Workspace } from "../types";
import { StatusBadge, Empty } from "./common";

export function inputValue(event: Event): string {
  return (event.currentTarget as HTMLInputElement).value;
}

/** A running run's duration, ticking every second without re-rendering the whole table. */
export function LiveDuration({ run }: { run: Run }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <>{formatDuration(run.started_at ?? run.created_at, null, now)}</>;
}

export function DurationCell({ run }: { run: Run }) {
  if (isActive(run.status) && !run.ended_at) {
    return (
      <td class="number" data-live="true">
        <LiveDuration run={run} />
      </td>
    );
  }
  const end = run.ended_at ?? run.heartbeat_at ?? run.updated_at;
  return <td class="number">{formatDuration(run.started_at ?? run.created_at, end)}</td>;
}

export function ValueCell({ value, kind, numeric }: { value: unknown; kind: "config" | "summary"; numeric: boolean }) {
  if (value === undefined) return <td class={numeric ? "number missing" : "missing"}>–</td>;
  if (typeof value === "number") {
    return (
      <td class={numeric ? "number" : undefined} title={String(value)}>
        {formatNumber(value, kind === "config" ? 6 : 4)}
      </td>
    );
  }
  const text = formatConfigValue(value);
  return (
    <td class="text-cell" title={text}>
      {text}
    </td>
  );
}

export function ColumnChooser({
  discovered,
  chosen,
  onChange,
  onReset,
}: {
  discovered: DiscoveredColumns;
  chosen: ColumnKey[];
  onChange: (columns: ColumnKey[]) => void;
  onReset: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return undefined;
    const onPointer = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    document.addEventListener("mousedown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const chosenSet = new Set(chosen);
  const toggle = (key: ColumnKey, checked: boolean) => {
    onChange(checked ? [...chosen.filter((item) => item !== key), key] : chosen.filter((item) => item !== key));
  };
  const needle = search.trim().toLowerCase();
  const group = (title: string, prefix: "config" | "summary", items: KeyCount[]) => {
    const shown = items.filter((item) => !needle || item.key.toLowerCase().includes(needle));
    return (
      <fieldset class="column-group">
        <legend>{title}</legend>
        {!shown.length && <span class="muted">{items.length ? "No match" : "None in these runs"}</span>}
        {shown.map((item) => {
          const key = `${prefix}:${item.key}`;
          return (
            <label key={key} class="column-option">
              <input
                type="checkbox"
                value={key}
                checked={chosenSet.has(key)}
                onChange={(event) => toggle(key, (event.currentTarget as HTMLInputElement).checked)}
                data-testid="column-option"
              />
              <span class="column-option-name">{item.key}</span>
              <span class="muted count">{item.count}</span>
            </label>
          );
        })}
      </fieldset>
    );
  };

  return (
    <div class="column-chooser" ref={root}>
      <button
        type="button"
        aria-expanded={open}
        aria-haspopup="true"
        onClick={() => setOpen(!open)}
        data-testid="column-chooser"
      >
        Columns ({chosen.length}) ▾
      </button>
      {open && (
        <div class="column-popover panel" role="group" aria-label="Choose columns" data-testid="column-popover">
          <div class="row">
            <input
              type="search"
              placeholder="Find a key…"
              aria-label="Find a column"
              value={search}
              onInput={(event) => setSearch(inputValue(event))}
              autoFocus
            />
            <button type="button" class="link" onClick={onReset} data-testid="column-reset">
              Defaults
            </button>
          </div>
          <div class="column-groups">
            {group("Summary (a result, else the metric's last value)", "summary", discovered.summary)}
            {group("Config", "config", discovered.config)}
          </div>
        </div>
      )}
    </div>
  );
}

/** A row's height before one is measured (px). */
const DEFAULT_ROW_HEIGHT = 37;

/**
 * The rows of `count` to render in the scrolled container `scroller` (only those in view, plus
 * some either side); `onNearEnd` is called when the view comes near the last row (to load more).
 */
export function useRowWindow(scroller: RefObject<HTMLElement>, count: number, onNearEnd: () => void): RowWindow {
  const [view, setView] = useState({ top: 0, height: 800, rowHeight: DEFAULT_ROW_HEIGHT, offset: 0 });
  const nearEndRef = useRef(onNearEnd);
  nearEndRef.current = onNearEnd;
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return undefined;
    const measure = () => {
      const row = element.querySelector<HTMLElement>("tbody tr[data-testid='run-row']");
      const head = element.querySelector<HTMLElement>("thead");
      const rowHeight = row?.getBoundingClientRect().height || DEFAULT_ROW_HEIGHT;
      const offset = head?.getBoundingClientRect().height ?? 0;
      const height = element.clientHeight || window.innerHeight;
      setView((current) =>
        current.top === element.scrollTop && current.height === height && Math.abs(current.rowHeight - rowHeight) < 0.5 && current.offset === offset
          ? current
          : { top: element.scrollTop, height, rowHeight, offset },
      );
    };
    measure();
    element.addEventListener("scroll", measure, { passive: true });
    window.addEventListener("resize", measure);
    return () => {
      element.removeEventListener("scroll", measure);
      window.removeEventListener("resize", measure);
    };
  }, [scroller.current, count]);
  const range = rowWindow(count, view.rowHeight, view.top, view.height, 10, view.offset);
  useEffect(() => {
    if (count > 0 && range.end >= count - 10) nearEndRef.current();
  }, [range.end, count]);
  return range;
}

/** A spacer row standing for `height` px of rows left out of the DOM. */
export function SpacerRow({ height, columns }: { height: number; columns: number }) {
  if (height <= 0) return null;
  return (
    <tr class="spacer-row" aria-hidden="true">
      <td colSpan={columns} style={{ height: `${height}px`, padding: 0, border: "none" }} />
    </tr>
  );
}

export function HeaderCell({
  columnKey,
  sort,
  onSort,
  className,
  sortable = true,
}: {
  columnKey: ColumnKey;
  sort: SortSpec | null;
  onSort: (key: ColumnKey) => void;
  className?: string;
  /** False for columns the server cannot sort by. */
  sortable?: boolean;
}) {
  const active = sort?.key === columnKey;
  const ariaSort = active ? (sort.direction === "asc" ? "ascending" : "descending") : "none";
  const { kind, name } = parseColumnKey(columnKey);
  if (!sortable) {
    return (
      <th scope="col" class={`col-${kind}${className ? ` ${className}` : ""}`} data-testid="column-header" data-key={columnKey} title={kind === "builtin" ? undefined : `${kind}: ${name}`}>
        {kind !== "builtin" && <span class="col-kind">{kind === "config" ? "config" : "summary"}</span>}
        <span class="col-name">{columnLabel(columnKey)}</span>
      </th>
    );
  }
  return (
    <th
      scope="col"
      class={`sortable col-${kind}${className ? ` ${className}` : ""}`}
      aria-sort={ariaSort}
      data-testid="column-header"
      data-key={columnKey}
      onClick={() => onSort(columnKey)}
      title={kind === "builtin" ? undefined : `${kind}: ${name}`}
    >
      <button type="button" class="sort-button">
        {kind !== "builtin" && <span class="col-kind">{kind === "config" ? "config" : "summary"}</span>}
        <span class="col-name">{columnLabel(columnKey)}</span>
        <span class="sort-arrow" aria-hidden="true">
          {active ? (sort.direction === "asc" ? "▲" : "▼") : ""}
        </span>
      </button>
    </th>
  );
}

export function RunRow({
  row,
  columns,
  numericColumns,
  selected,
  onSelect,
}: {
  row: Row;
  columns: ColumnKey[];
  numericColumns: ReadonlySet<ColumnKey>;
  selected: boolean;
  onSelect: (id: string, checked: boolean) => void;
}) {
  const { run } = row;
  return (
    <tr data-testid="run-row" data-run-id={run.id} data-status={run.status} class={selected ? "selected" : undefined}>
      <td class="select-cell">
        <input
          type="checkbox"
          checked={selected}
          aria-label={`Select ${run.name}`}
          onChange={(event) => onSelect(run.id, (event.currentTarget as HTMLInputElement).checked)}
          data-testid="run-select"
        />
      </td>
      <td>
        <StatusBadge status={run.status} />
      </td>
      <td class="name-cell">
        <a href={href(`/runs/${run.id}`)} data-testid="run-link" title={run.description || run.name}>
          {run.name}
        </a>
      </td>
      <td class="tags-cell">
        {run.tags.map((tag) => (
          <span class="tag" key={tag}>
            {tag}
          </span>
        ))}
      </td>
      <td title={formatTime(run.created_at)} class="nowrap">
        {formatRelative(run.created_at)}
      </td>
      <DurationCell run={run} />
      {columns.map((key) => {
        const kind = parseColumnKey(key).kind === "config" ? "config" : "summary";
        return <ValueCell key={key} value={cellValue(row, key, 0)} kind={kind} numeric={numericColumns.has(key)} />;
      })}
    </tr>
  );
}

export function SelectAll({ visibleIds, selected, onChange }: { visibleIds: string[]; selected: ReadonlySet<string>; onChange: (checked: boolean) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const count = visibleIds.filter((id) => selected.has(id)).length;
  const all = visibleIds.length > 0 && count === visibleIds.length;
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = count > 0 && !all;
  }, [count, all]);
  return (
    <input
      ref={ref}
      type="checkbox"
      checked={all}
      disabled={!visibleIds.length}
      aria-label="Select all shown runs"
      onChange={(event) => onChange((event.currentTarget as HTMLInputElement).checked)}
      data-testid="run-select-all"
    />
  );
}

export function NoRuns({ project, workspace }: { project: Project | undefined; workspace: Workspace | undefined }) {
  const name = project?.name ?? "my-project";
  const workspaceArg = workspace && !workspace.is_personal ? `, workspace=${JSON.stringify(workspace.name)}` : "";
  return (
    <Empty>
      <p>No runs in this project yet. Log one with the SDK:</p>
      <pre class="snippet">
        <code>
          {[
            "pip install ./sdk",
            `wavedb login --api-url ${window.location.origin}`,
            "",
            "import wavedb",
            `run = wavedb.init(project=${JSON.stringify(name)}${workspaceArg}, config={"lr": 3e-4})`,
            'run.log({"loss": 0.5})',
            "run.finish()",
          ].join("\n")}
        </code>
      </pre>
    </Empty>
  );
}
