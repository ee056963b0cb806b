-- The detections of an analysis that the creator switched off in the
-- studio (a JSON array of indices). A re-analysis replaces the row, and
-- with it the choices, which referred to the old detections.
ALTER TABLE analyses ADD COLUMN off TEXT NOT NULL DEFAULT '[]';
