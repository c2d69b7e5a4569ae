"""Customers, their contacts and addresses, and their sales orders."""
