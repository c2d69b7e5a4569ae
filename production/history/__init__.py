"""Where every line item was on the board on any past day, from its stage history.

Module map: spans (the one reconstruction: stage periods -> day spans, pure), models (StageSpan,
StageHistoryBuild), services (rebuild, refresh after a sync), selectors (a day's spans, what moved
between two days), tasks and signals (kept current after each sync that changed data).
"""
