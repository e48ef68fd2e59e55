// Choosing how runs are grouped: config keys (one or more) and the band drawn around each group's mean.
import { BAND_LABELS } from "../lib/grouping";
import type { GroupBand } from "../lib/layout";
import { Options } from "./common";

const MAX_GROUP_KEYS = 5;

export function GroupControls({ keys, groupBy, band, onChange }: { keys: readonly string[]; groupBy: readonly string[]; band: GroupBand; onChange: (groupBy: string[], band: GroupBand) => void }) {
  const free = keys.filter((key) => !groupBy.includes(key));
  return (
    <div class="group-controls" data-testid="group-controls">
      <label>
        Group by
        <select
          data-testid="group-by-select"
          value=""
          disabled={!free.length || groupBy.length >= MAX_GROUP_KEYS}
          onChange={(event) => {
            const key = (event.target as HTMLSelectElement).value;
            if (key) onChange([...groupBy, key], band);
          }}
        >
          <option value="">{groupBy.length ? "add a config key…" : "no grouping"}</option>
          <Options values={free} />
        </select>
      </label>
      {groupBy.map((key) => (
        <span class="tag" key={key} data-testid="group-key" data-key={key}>
          {key}
          <button type="button" class="tag-remove" aria-label={`Stop grouping by ${key}`} onClick={() => onChange(groupBy.filter((other) => other !== key), band)}>
            ×
          </button>
        </span>
      ))}
      {groupBy.length > 0 && (
        <label>
          Band
          <select data-testid="group-band-select" value={band} onChange={(event) => onChange([...groupBy], (event.target as HTMLSelectElement).value as GroupBand)}>
            <Options values={Object.keys(BAND_LABELS) as GroupBand[]} label={(value) => BAND_LABELS[value]} />
          </select>
        </label>
      )}
    </div>
  );
}
