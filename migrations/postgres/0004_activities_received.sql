-- Pruning of inbound activities (bodies after a week, rows after the
-- dedupe window) selects them by direction and arrival time.
CREATE INDEX activities_received_idx ON activities (direction, created_at);
