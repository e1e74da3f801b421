"""Billing: plans and entitlements, quota and feature gates, the usage ledger, Stripe.

Modules that talk to Stripe import the SDK themselves (``stripe_gateway``, ``webhook``), so
importing a gate or the ledger never loads it.
"""
