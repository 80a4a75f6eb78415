-- A rating of one answer of a chat (the web app's thumbs up/down with an optional comment), kept
-- so feedback can drive evaluation later. One per assistant message; a new rating replaces it.
CREATE TABLE message_feedback (
  message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  chat_id    TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
  comment    TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX message_feedback_chat ON message_feedback (chat_id);

-- Kept originals (<dataDir>/files/<sha256>) live while a document's content hash names them.
CREATE INDEX documents_content_hash ON documents (content_hash);
