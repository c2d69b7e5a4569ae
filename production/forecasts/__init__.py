"""Forecasts from each stage × manufacturer's own history: durations, predicted dates, slips, backtest.

Module map: distributions (log-normal maths), history (what the past says: durations, the
receiving gap, stage routes), predict (one line item / one order at one instant), loaders (fast
reads of an organisation's history), services (recompute and store), selectors (reads for the
board, summaries, customers, Shipup), backtest, tasks, receivers (after syncs) and signals
(forecasts_recomputed). Days in a stage (never negative) and stuck are production.rules'; the
duration fallbacks production.durations'.
"""
