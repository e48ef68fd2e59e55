// The link of an invitation e-mail (`#/invitations?token=wdi_<id>_<secret>`): the token
// proves the invited address, and names the invitation it opens.

/** The id of the invitation a mailed token opens, or null when it is not such a token. */
export function invitationIdOfToken(token: string | null | undefined): string | null {
  const match = token ? /^wdi_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/.exec(token) : null;
  if (!match) return null;
  const hex = match[1];
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

/** The body that answers an invitation: with the link's token when it is this invitation's. */
export function answerBody(invitationId: string, token: string | null | undefined): { token: string } | undefined {
  return token && invitationIdOfToken(token) === invitationId ? { token } : undefined;
}
