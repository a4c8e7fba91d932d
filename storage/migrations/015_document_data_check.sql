-- The data check of a document when it arrived (bot.personal_data.DataCheck as JSON): how many
-- NIK, KK numbers, mobile numbers and e-mail addresses it seems to carry and on which pages, or
-- why it could not be checked. Never the numbers themselves. NULL: received before the check.
ALTER TABLE documents ADD COLUMN data_check TEXT;
