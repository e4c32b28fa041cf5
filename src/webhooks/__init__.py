"""Webhooks (spec §6.7, §14.5): endpoints per workspace, signed deliveries through the queue."""
