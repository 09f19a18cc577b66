"""Billing (the manual's 2.18.3-2.18.5 and the payment before a certificate download): price
lists, orders and their payments through a payment gateway port, bills, invoices, bank cards.
Money is integer fen (``huren.node.billing.money``); every state change is appended to the
``billing_events`` table. See docs/billing.md."""
