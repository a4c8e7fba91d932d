-- A document's platform file reference belongs to the chat app it came from: a Telegram file id
-- means nothing on WhatsApp. A file sent to a person on another channel is uploaded from the store.
ALTER TABLE documents ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
