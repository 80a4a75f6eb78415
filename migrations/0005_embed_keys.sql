-- Embed keys: public keys placed on web pages. Each is bound to one collection (its scopes say
-- read on it), to the page origins it may be used from, and to its own request rate.
ALTER TABLE api_keys ADD COLUMN kind TEXT NOT NULL DEFAULT 'standard' CHECK (kind IN ('standard', 'embed'));
ALTER TABLE api_keys ADD COLUMN origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN rate_per_minute INTEGER;

-- The chats an embed key's visitors started: a visitor reads and continues only its own.
CREATE TABLE embed_chats (
  chat_id    TEXT PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
  key_id     TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  visitor    TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX embed_chats_owner ON embed_chats (key_id, visitor);
