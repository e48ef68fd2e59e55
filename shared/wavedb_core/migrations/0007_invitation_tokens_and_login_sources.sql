-- An invitation's e-mail carries a one-time secret token that proves the invited address;
-- only its SHA-256 is stored. Invitations made before have none: they are accepted by a
-- confirmed address only.
ALTER TABLE workspace_invitations ADD COLUMN token_hash bytea;

-- The sources (client addresses as API Gateway reports them) each account has logged in
-- from. While an account is under attack, failed guesses from other sources are throttled
-- harder, but a source the owner has used is not.
CREATE TABLE login_sources (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source          text NOT NULL,
    last_login_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, source)
);

-- Sign-up used to mark an address confirmed when confirmation was off, which proved nothing.
-- Only an address confirmed through its link keeps the mark, so an account that signed up
-- under somebody else's address cannot answer that person's invitations.
UPDATE users SET email_confirmed_at = NULL
WHERE email_confirmed_at IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM email_confirmations c WHERE c.user_id = users.id AND c.used_at IS NOT NULL
  );
