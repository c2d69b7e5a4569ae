"""Writes of the customers app: sync from Uphance (sync, upsert), demand links and risk (demand, risk)."""
