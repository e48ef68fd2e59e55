import type { PageProps } from "../app";

export function RunPage(_props: PageProps) {
  return <h1>RunPage</h1>;
}
