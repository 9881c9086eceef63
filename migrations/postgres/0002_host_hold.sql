-- The dead-host rule is the delivery worker's (federation/delivery); the
-- hosts table only records facts about each host. hold_until is when the
-- worker lets a held host's deliveries be claimed again; last_error is the
-- error of the latest failed delivery in the current run of failures.
-- Hosts already marked unavailable get no hold_until: their next due
-- delivery is their next probe, and the worker holds them again if it fails.
ALTER TABLE hosts ADD COLUMN hold_until TIMESTAMPTZ;
ALTER TABLE hosts ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
