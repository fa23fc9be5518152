"""Events: the outbox of what happened, for reminders and webhooks."""
