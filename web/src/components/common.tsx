// Small pieces every page uses: errors, loading, status badges, copy buttons, confirm buttons, empty states, form fields, select options.
import { Component, type ComponentChildren, type JSX } from "preact";
import { useState } from "preact/hooks";
import { describeError } from "../api";
import type { RunStatus } from "../types";

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div class="message error" role="alert" data-testid="error-message">
      <span>{describeError(error)}</span>
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "class" | "value" | "onInput">;

/** A labelled `<input>` (text, e-mail, password, number…) whose text goes to `onValue` as it is typed; `class` is the label's. */
export function Field({ label, class: labelClass, value, onValue, ...input }: InputProps & { label: string; class?: string; value: string; onValue: (value: string) => void }) {
  return (
    <label class={labelClass}>
      {label}
      <input {...input} value={value} onInput={(event) => onValue(event.currentTarget.value)} />
    </label>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div class="loading" aria-busy="true">
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** One <option> of a select per value, showing `label(value)` (the value itself unless given). */
export function Options<T extends string | number>({ values, label = String }: { values: readonly T[]; label?: (value: T) => string }) {
  return (
    <>
      {values.map((value) => (
        <option key={value} value={value}>
          {label(value)}
        </option>
      ))}
    </>
  );
}

/** The head of a table whose rows end with buttons: one column per label, then an unlabelled actions column. */
export function ActionsTableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
        <th scope="col">
          <span class="visually-hidden">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

/**
 * The two buttons that settle a destructive action once asked "are you sure?": the danger
 * button that does it (disabled while busy, or while `confirmDisabled`) and Cancel.
 */
export function ConfirmButtons({
  label,
  busy,
  confirmDisabled = false,
  onConfirm,
  onCancel,
  testId,
}: {
  label: string;
  busy: boolean;
  confirmDisabled?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId: string;
}) {
  return (
    <>
      <button type="button" class="danger" disabled={busy || confirmDisabled} onClick={onConfirm} data-testid={testId}>
        {label}
      </button>
      <button type="button" disabled={busy} onClick={onCancel}>
        Cancel
      </button>
    </>
  );
}

const STATUS_LABELS: Record<RunStatus, string> = {
  pending: "pending",
  running: "live",
  finished: "finished",
  failed: "failed",
  crashed: "crashed",
  canceled: "canceled",
};

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span class={`badge status-${status}`} data-testid="status-badge" data-status={status}>
      {status === "running" && <span class="pulse" aria-hidden="true" />}
      {status === "crashed" && <span aria-hidden="true">⚠ </span>}
      {STATUS_LABELS[status]}
    </span>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" onClick={copy} data-testid="copy-button">
      {copied ? "Copied" : label}
    </button>
  );
}

/** Shows a message instead of a blank page when a component throws while rendering. */
export class ErrorBoundary extends Component<{ children: ComponentChildren }, { error: unknown }> {
  state = { error: undefined as unknown };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  render() {
    if (this.state.error) {
      return (
        <ErrorMessage
          error={this.state.error}
          onRetry={() => this.setState({ error: undefined })}
        />
      );
    }
    return this.props.children;
  }
}
