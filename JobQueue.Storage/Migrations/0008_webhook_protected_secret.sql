-- Webhook signing secrets encrypted at rest (issue 9). The dispatcher writes only protected_secret (ASP.NET Core
-- Data Protection; the key ring lives outside the database, so a dump of it does not give the secrets away). The
-- plain column stays, NULL from now on, so a database half-way through a rolling upgrade keeps working: each
-- dispatcher re-protects any plain rows it finds at start (compare-and-set on the plain value) and clears them.
ALTER TABLE webhooks ADD COLUMN IF NOT EXISTS protected_secret text NULL;
