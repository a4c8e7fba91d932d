"""Channel adapters: Telegram now, WhatsApp later; channel-neutral types in `base`."""
