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
