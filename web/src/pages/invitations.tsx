import type { PageProps } from "../app";

export function InvitationsPage(_props: PageProps) {
  return <h1>InvitationsPage</h1>;
}
