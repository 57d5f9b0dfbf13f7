-- When the change a sync_outbox row carries was made (unix ms): a delete event's occurredAt, the
-- same on every retry. Upserts take the user's own updatedAt.
alter table "sync_outbox" add column "changedAt" integer;
