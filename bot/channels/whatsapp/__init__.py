"""The WhatsApp adapter: Meta's WhatsApp Cloud API through pywa's async client (sending, media,
templates) and our own aiohttp receiver for its signed webhooks. Only this package imports pywa.

- `events`: a webhook's body to channel-neutral events and delivery statuses.
- `sender`: screens and notices fitted to WhatsApp (3 buttons, lists of 10, no edits), files by
  media id, and notices in short as templates outside the 24-hour window.
- `templates`: the templates the bot needs, in Meta's creation format; checked at start.
- `webhook`: the verification handshake, signatures, and handling before answering 200.
- `channel`: builds it all from the settings for the running bot.
"""
