import type { PageProps } from "../app";

export function ApiKeysPage(_props: PageProps) {
  return <h1>ApiKeysPage</h1>;
}
