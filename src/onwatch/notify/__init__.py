"""Notifications: incidents reach people through escalation cascades, a durable outbox and
channels (Apprise, signed webhooks); acknowledge links stop the cascade."""
