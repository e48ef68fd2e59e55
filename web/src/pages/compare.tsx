import type { PageProps } from "../app";

export function ComparePage(_props: PageProps) {
  return <h1>ComparePage</h1>;
}
