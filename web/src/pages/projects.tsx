import type { PageProps } from "../app";

export function ProjectsPage(_props: PageProps) {
  return <h1>ProjectsPage</h1>;
}
