"""The Telegram channel: the only package (with the development fake) that imports
python-telegram-bot. `adapter` turns updates into neutral events and fitted screens into
messages; `application` builds and runs the Application (polling or webhook, the scheduler's
jobs); `polling` and `webhook` confirm an update only once it is handled and recorded; `files`
streams incoming documents; `pacing` keeps notices within Telegram's limits, answers first."""
