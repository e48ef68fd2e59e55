import type { PageProps } from "../app";

export function RunTablePage(_props: PageProps) {
  return <h1>RunTablePage</h1>;
}
