-- The shown-card log is pruned by age (cds.Config.ShownRetention), so it needs its time indexed.
CREATE INDEX cards_shown_at ON cards_shown (shown_at);
