import type { PageProps } from "../app";

export function WorkspaceSettingsPage(_props: PageProps) {
  return <h1>WorkspaceSettingsPage</h1>;
}
